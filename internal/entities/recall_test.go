package entities

import (
	"slices"
	"testing"

	"github.com/vigie-news/vigie"
)

const (
	// minRecall is the share of expected names each language must find.
	minRecall = 0.90
	// minNamed is the number of sentences naming entities each language
	// needs for its recall to mean something.
	minNamed = 12
)

// recallCase is a sentence as a wire service would write it, with the
// entities a reader sees named in it. A case that names none is a negative:
// it holds words that look like names but are not.
//
// Where a body's name contains its parent's ("UN Security Council"), only
// the body is expected; finding the parent as well counts as a false entity,
// not as a failure.
type recallCase struct {
	name        string
	title, text string
	states      []string
	orgs        []string
}

// TestFindRecall measures the name lists against sentences written for this
// test, without looking at the data files.
//
// For each language it reports recall, the share of expected (sentence, key)
// pairs that Find returns, and the number of false entities, the keys Find
// returns that the sentence does not name. It fails when recall in a
// language is under minRecall, or when a negative case yields any entity.
// Each missed key is logged with its sentence so that a curator can add the
// missing name.
func TestFindRecall(t *testing.T) {
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range recallCases {
		t.Run(l.lang, func(t *testing.T) {
			var want, found, wrong, named int
			for _, c := range l.cases {
				exp := pairs(vigie.Entities{States: c.states, Orgs: c.orgs})
				got := pairs(set.Find(c.title, c.text).Entities())
				missed, extra := minus(exp, got), minus(got, exp)
				want += len(exp)
				found += len(exp) - len(missed)
				wrong += len(extra)
				sentence := c.String()
				switch {
				case len(exp) == 0 && len(extra) > 0:
					t.Errorf("%s: negative case yields %v in %q", c.name, extra, sentence)
				case len(extra) > 0:
					t.Logf("%s: unexpected %v in %q", c.name, extra, sentence)
				}
				if len(missed) > 0 {
					t.Logf("%s: missed %v in %q", c.name, missed, sentence)
				}
				if len(exp) > 0 {
					named++
				}
			}
			if named < minNamed {
				t.Errorf("only %d sentences name entities, want at least %d", named, minNamed)
			}
			recall := float64(found) / float64(max(want, 1))
			t.Logf("recall %.3f (%d of %d keys in %d sentences), %d false entities",
				recall, found, want, len(l.cases), wrong)
			if recall < minRecall {
				t.Errorf("recall %.3f, want at least %.2f", recall, minRecall)
			}
		})
	}
}

// String returns the case's title and text, as logged.
func (c recallCase) String() string {
	if c.title == "" {
		return c.text
	}
	return c.title + " | " + c.text
}

// pairs lists entities as "state:US" and "org:AU": AU names both Australia
// and the African Union.
func pairs(e vigie.Entities) []string {
	var out []string
	for _, k := range e.States {
		out = append(out, "state:"+k)
	}
	for _, k := range e.Orgs {
		out = append(out, "org:"+k)
	}
	return out
}

// minus returns the elements of a that are not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

var recallCases = []struct {
	lang  string
	cases []recallCase
}{
	{"ar", []recallCase{
		{name: "wa-clitic", states: []string{"US", "GB", "RU"},
			text: "فرضت الولايات المتحدة وبريطانيا عقوبات على قراصنة مرتبطين بالاستخبارات الروسية."},
		{name: "li-clitic", states: []string{"DE", "RU"},
			text: "وجهت الحكومة الألمانية اتهامات لروسيا بالوقوف وراء الهجوم على الحزب الحاكم."},
		{name: "adjectives-fem", states: []string{"CN", "US"},
			text: "نفى المتحدث باسم الخارجية الصينية أي تورط في اختراق شبكات الاتصالات الأمريكية."},
		{name: "general-assembly", orgs: []string{"UNGA"},
			text: "تبنت الجمعية العامة للأمم المتحدة أول اتفاقية لمكافحة الجرائم الإلكترونية."},
		{name: "security-council", states: []string{"AE"}, orgs: []string{"UNSC"},
			text: "دعت الإمارات مجلس الأمن إلى عقد جلسة طارئة بشأن الهجمات على السفن."},
		{name: "iran-israel", states: []string{"IR", "IL"},
			text: "اتهمت إيران إسرائيل بشن هجوم إلكتروني عطّل محطات الوقود في أنحاء البلاد."},
		{name: "interpol-title", states: []string{"MA", "EG"}, orgs: []string{"INTERPOL"},
			title: "الإنتربول يوقف عشرات المشتبه بهم",
			text:  "شملت العملية المغرب ومصر وتركزت على الاحتيال عبر الإنترنت."},
		{name: "league-gcc", orgs: []string{"LAS", "GCC"},
			text: "رحبت جامعة الدول العربية ومجلس التعاون الخليجي بالاتفاق الجديد."},
		{name: "saudi-india", states: []string{"SA", "IN"},
			text: "وقّعت السعودية والهند مذكرة تفاهم في مجال الأمن السيبراني."},
		{name: "north-korea", states: []string{"KP"},
			text: "سرق قراصنة من كوريا الشمالية عملات مشفرة بمئات الملايين من الدولارات."},
		{name: "li-article", states: []string{"US", "CN", "RU"},
			text: "وجهت واشنطن انتقادات للصين بسبب دعمها لموسكو."},
		{name: "eu-nato", orgs: []string{"EU", "NATO"},
			text: "قال الاتحاد الأوروبي وحلف شمال الأطلسي إنهما سيعززان التعاون في مواجهة التهديدات السيبرانية."},
		{name: "adjectives-masc", states: []string{"RU", "FR"},
			text: "أعلنت موسكو طرد دبلوماسي فرنسي ردا على اعتقال مبرمج روسي في باريس."},
		{name: "african-union", orgs: []string{"AU", "UNESCO"},
			text: "أطلق الاتحاد الأفريقي برنامجا لتدريب المحققين في جرائم الإنترنت بدعم من اليونسكو."},
		{name: "capitals", states: []string{"CN", "JP", "KR"},
			text: "قال السفير الصيني إن بكين مستعدة للحوار مع طوكيو وسيول."},
		{name: "brics", states: []string{"UA"}, orgs: []string{"BRICS"},
			text: "ناقشت مجموعة بريكس الحرب في أوكرانيا وتأثيرها على أمن الطاقة."},
		{name: "british-iranian", states: []string{"GB", "IR"},
			text: "استدعت الخارجية البريطانية السفير الإيراني بعد حملة تجسس إلكتروني."},
		{name: "bi-clitic", states: []string{"IR", "KP"}, orgs: []string{"G7"},
			text: "ندد وزراء مجموعة السبع بإيران وكوريا الشمالية بسبب الهجمات على البنى التحتية."},
		{name: "amirki-osce", states: []string{"US"}, orgs: []string{"OSCE"},
			text: "أكد مسؤول أميركي أن واشنطن ستشارك في اجتماع منظمة الأمن والتعاون في أوروبا."},
		// Negatives.
		{name: "financial-not-mali",
			text: "فرضت السلطات غرامات على شركة بسبب الاحتيال المالي وغسل الأموال."},
		{name: "hind-not-india",
			text: "قالت الصحفية هند إن التحقيق ما زال مستمرا."},
		{name: "bank-not-egypt",
			text: "خفض المصرف المركزي أسعار الفائدة للمرة الثانية هذا العام."},
	}},
	{"de", []recallCase{
		{name: "genitive-russlands", states: []string{"DE", "RU"},
			text: "Berlin macht den Militärgeheimdienst Russlands für den Angriff auf die SPD verantwortlich."},
		{name: "genitive-chinas", states: []string{"CN", "NL"},
			text: "Chinas Außenministerium wies die Vorwürfe der niederländischen Regierung zurück."},
		{name: "adjective-chinesischen", states: []string{"CN", "DE"},
			text: "Die Behörden warnten vor chinesischen Hackern, die Router in Deutschland übernommen hätten."},
		{name: "adjective-russische", states: []string{"RU", "FR"},
			text: "Eine russische Hackergruppe hat Server des französischen Außenministeriums angegriffen."},
		{name: "compound-us", states: []string{"US", "UA", "PL"},
			text: "US-Behörden haben einen Hacker aus der Ukraine angeklagt, der in Polen festgenommen wurde."},
		{name: "compound-eu", states: []string{"KP"}, orgs: []string{"EU"},
			text: "Die EU-Staaten einigten sich auf Sanktionen gegen Hacker aus Nordkorea."},
		{name: "genitive-deutschlands", states: []string{"DE", "UA"}, orgs: []string{"NATO"},
			text: "Auf dem NATO-Gipfel sagte Deutschlands Verteidigungsminister der Ukraine Hilfe bei der Cyberabwehr zu."},
		{name: "compound-un", orgs: []string{"UNSC"},
			text: "Der UN-Sicherheitsrat befasste sich erstmals mit Cyberangriffen auf Krankenhäuser."},
		{name: "compound-osze", orgs: []string{"OSCE"},
			text: "Die OSZE-Staaten verständigten sich auf neue vertrauensbildende Maßnahmen im Cyberraum."},
		{name: "europarat", orgs: []string{"COE", "INTERPOL"},
			text: "Der Europarat und Interpol unterstützen afrikanische Staaten beim Kampf gegen Cyberkriminalität."},
		{name: "adjectives", states: []string{"IL", "IR"},
			text: "Israelische Ermittler schreiben den Angriff einer iranischen Gruppe zu."},
		{name: "compound-g7", states: []string{"JP", "KP"}, orgs: []string{"G7"},
			text: "Die G7-Außenminister verurteilten in Tokio die Angriffe nordkoreanischer Hacker."},
		{name: "genitive-frankreichs", states: []string{"FR", "GB"},
			text: "Frankreichs Präsident und der britische Premierminister kündigten eine gemeinsame Cyberinitiative an."},
		{name: "europol", states: []string{"AM", "UA"}, orgs: []string{"EUROPOL"},
			text: "Europol und das Bundeskriminalamt haben ein Botnetz abgeschaltet; Festnahmen gab es in Armenien und der Ukraine."},
		{name: "vereinte-nationen", orgs: []string{"UN"},
			text: "Die Vereinten Nationen haben in New York eine Konvention gegen Cyberkriminalität verabschiedet."},
		{name: "moskau", states: []string{"US", "RU"},
			text: "Das amerikanische Justizministerium ließ Domains beschlagnahmen, die Moskau zugeordnet werden."},
		{name: "compound-title", states: []string{"CN", "DE"},
			title: "China-Strategie",
			text:  "Die Strategie Berlins nennt Peking einen systemischen Rivalen."},
		{name: "hyphenated-name", states: []string{"TR", "SA"},
			text: "Die Türkei und Saudi-Arabien vereinbarten eine engere Zusammenarbeit bei der Cybersicherheit."},
		// Negatives.
		{name: "chinakohl",
			text: "Der Preis für Chinakohl ist auf dem Wochenmarkt gestiegen."},
		{name: "tuerkis",
			text: "Das neue Logo der Stadtwerke ist türkis und orange."},
		{name: "indianer",
			text: "Das Museum zeigt Kunst der Indianer Nordamerikas."},
	}},
	{"en", []recallCase{
		{name: "us-title", states: []string{"US", "RU"},
			title: "U.S. sanctions Russian hackers behind hospital attacks",
			text:  "The Treasury said the group worked for Moscow's military intelligence."},
		{name: "extradition", states: []string{"ES", "UA", "US"},
			text: "Spain extradited a Ukrainian national to the United States on Tuesday to face ransomware charges."},
		{name: "general-assembly", states: []string{"CN", "IR"}, orgs: []string{"UNGA"},
			text: "The UN General Assembly adopted a resolution on responsible state behaviour in cyberspace, with China and Iran voting against."},
		{name: "north-korean", states: []string{"KP"}, orgs: []string{"UN"},
			text: "North Korean hackers stole $300 million in cryptocurrency, according to a report by a UN panel of experts."},
		{name: "europol-eurojust", states: []string{"DE", "FR", "NL"}, orgs: []string{"EUROPOL", "EUROJUST"},
			text: "Europol and Eurojust coordinated the takedown of the botnet with police in Germany, France and the Netherlands."},
		{name: "interpol", states: []string{"NG", "KE", "GH"}, orgs: []string{"INTERPOL"},
			text: "Interpol said police in Nigeria, Kenya and Ghana arrested hundreds of suspects in an operation against online fraud."},
		{name: "quad", states: []string{"AU", "IN", "JP", "US"}, orgs: []string{"QUAD"},
			text: "Leaders of the Quad — Australia, India, Japan and the United States — pledged to secure undersea cables."},
		{name: "beijing-britain", states: []string{"CN", "GB"},
			text: "Beijing rejected accusations by Britain that Chinese state-backed hackers had targeted the UK electoral commission."},
		{name: "short-names-title", states: []string{"GB", "US", "CN"},
			title: "UK, US blame China for hack of defence payroll system",
			text:  "Officials said the breach exposed the bank details of serving personnel."},
		{name: "tehran", states: []string{"IR", "IL"},
			text: "Tehran blamed Israel for a cyberattack that disrupted fuel stations across Iran."},
		{name: "seoul-pyongyang", states: []string{"KR", "KP"},
			text: "Seoul said Pyongyang had jammed GPS signals near the border for a third day."},
		{name: "g7-osce", orgs: []string{"G7", "OSCE"},
			text: "G7 foreign ministers called on the OSCE to implement its cyber confidence-building measures."},
		{name: "asean-regional-forum", states: []string{"VN", "SG"}, orgs: []string{"ARF"},
			text: "The ASEAN Regional Forum discussed a points-of-contact directory, while Vietnam and Singapore pressed for capacity building."},
		{name: "internet-governance", orgs: []string{"ICANN", "ITU", "IANA"},
			text: "ICANN told the ITU that the IANA functions would remain under multistakeholder oversight."},
		{name: "gulf", states: []string{"SA", "AE", "EG"}, orgs: []string{"GCC"},
			text: "Saudi and Emirati officials met their Egyptian counterparts in Cairo to discuss a Gulf Cooperation Council cyber centre."},
		{name: "brics-sco", states: []string{"BR"}, orgs: []string{"BRICS", "SCO"},
			text: "Brazil will host a BRICS meeting on data governance before the SCO summit next month."},
		{name: "icrc", states: []string{"UA"}, orgs: []string{"ICRC"},
			text: "The ICRC urged states to respect international humanitarian law in cyber operations during the war in Ukraine."},
		{name: "african-union", orgs: []string{"AU", "ECOWAS", "EU"},
			text: "The African Union and ECOWAS agreed with the EU to fund regional cybercrime units."},
		{name: "nato-russian", states: []string{"RU", "DE"}, orgs: []string{"NATO"},
			text: "NATO said Russian military intelligence was behind the attack on a German political party."},
		{name: "unidir-unoda", states: []string{"KE", "MX"}, orgs: []string{"UNIDIR", "UNODA", "UN"},
			text: "UNIDIR and UNODA briefed delegates from Kenya and Mexico on the new UN cyber mechanism."},
		{name: "wsis-igf", orgs: []string{"WSIS", "ECOSOC", "IGF"},
			text: "The WSIS review at ECOSOC will decide whether the IGF becomes a permanent body."},
		{name: "gfce-undp", states: []string{"GH", "ID"}, orgs: []string{"GFCE", "UNDP"},
			text: "The GFCE and UNDP will train prosecutors in Ghana and Indonesia."},
		{name: "opcw", states: []string{"NL", "RU"}, orgs: []string{"OPCW"},
			text: "The OPCW said the Netherlands had expelled four Russian officers who tried to hack its network."},
		{name: "csto-cis", states: []string{"RU"}, orgs: []string{"CSTO", "CIS"},
			text: "Defence ministers of the CSTO met in Moscow, while CIS security chiefs discussed cybercrime."},
		{name: "apec", states: []string{"PE"}, orgs: []string{"APEC"},
			text: "APEC ministers meeting in Peru endorsed cross-border privacy rules."},
		{name: "oas-not-us", states: []string{"CR"}, orgs: []string{"OAS"},
			text: "The Organization of American States condemned the ransomware attack on Costa Rica's finance ministry."},
		{name: "council-of-europe", states: []string{"JP", "NG"}, orgs: []string{"COE"},
			text: "The Council of Europe's convention on cybercrime now has more than 75 parties, including Japan and Nigeria."},
		{name: "vietnamese", states: []string{"VN", "CN"},
			text: "Vietnamese police arrested a Chinese national who ran a call-centre scam from Hanoi."},
		// Negatives.
		{name: "turkey-bird",
			text: "Families bought a turkey and cranberry sauce for the holiday dinner."},
		{name: "chad-ballot",
			text: "Election officials once argued over every hanging chad in the ballots."},
		{name: "us-pronoun",
			text: "Tell us how the new rules affect you, the regulator asked readers."},
		{name: "polish-verb",
			text: "Workers polish the marble floors of the conference hall every night."},
		{name: "guinea-pig",
			text: "A guinea pig escaped from the school laboratory."},
	}},
	{"es", []recallCase{
		{name: "eeuu", states: []string{"US", "RU"},
			text: "EE.UU. acusó a Rusia de interferir en las elecciones con campañas de desinformación."},
		{name: "extradicion", states: []string{"ES", "US", "RU"},
			text: "España extraditó a Estados Unidos a un ciudadano ruso acusado de blanquear criptomonedas."},
		{name: "chinas", states: []string{"CN", "PH"},
			text: "Las autoridades chinas negaron haber atacado los servidores del Ministerio de Defensa de Filipinas."},
		{name: "moscu-pekin", states: []string{"RU", "CN"}, orgs: []string{"UN"},
			text: "Moscú y Pekín defendieron en la ONU un tratado vinculante sobre el ciberespacio."},
		{name: "oea", states: []string{"US", "MX", "CO"}, orgs: []string{"OAS"},
			text: "La OEA celebró en Washington un taller de ciberseguridad con delegados de México y Colombia."},
		{name: "norcoreanos", states: []string{"KP"}, orgs: []string{"UNSC"},
			text: "Un informe del Consejo de Seguridad atribuye a hackers norcoreanos el robo de 600 millones de dólares."},
		{name: "interpol", states: []string{"AR", "BR", "PE"}, orgs: []string{"INTERPOL"},
			text: "Interpol detuvo a 130 personas en Argentina, Brasil y Perú en una operación contra el fraude en línea."},
		{name: "iranies", states: []string{"IR", "AL"}, orgs: []string{"EU"},
			text: "La Unión Europea impuso sanciones a funcionarios iraníes por ciberataques contra Albania."},
		{name: "israel-title", states: []string{"IL", "IR"},
			title: "Israel culpa a Irán del ataque al sistema de agua",
			text:  "Las autoridades locales restablecieron el suministro en pocas horas."},
		{name: "otan", states: []string{"UA"}, orgs: []string{"NATO"},
			text: "La OTAN reforzará su apoyo cibernético a Ucrania, anunció su secretario general."},
		{name: "liga-arabe", states: []string{"MA", "DZ"}, orgs: []string{"LAS"},
			text: "Marruecos y Argelia se acusaron mutuamente ante la Liga Árabe de difundir noticias falsas."},
		{name: "japon-corea", states: []string{"JP", "KR"},
			text: "Los gobiernos de Japón y Corea del Sur compartirán en tiempo real datos sobre misiles."},
		{name: "brics-uit", states: []string{"BR"}, orgs: []string{"BRICS", "ITU"},
			text: "Los ministros de los BRICS, reunidos en Brasil, pidieron un papel mayor de la UIT en la gobernanza de internet."},
		{name: "londres", states: []string{"GB", "RU"},
			text: "Londres expulsó a un diplomático ruso tras un ciberataque contra el Parlamento británico."},
		{name: "g20-unodc", orgs: []string{"G20", "UNODC"},
			text: "El G20 y la UNODC firmaron un acuerdo de cooperación contra el ciberdelito."},
		{name: "estadounidense", states: []string{"US", "VN"},
			text: "Un tribunal estadounidense condenó a un ciudadano vietnamita por vender datos robados."},
		{name: "norteamericana", states: []string{"US", "ES"},
			text: "La embajada norteamericana en Madrid denunció una campaña de desinformación."},
		{name: "rusa", states: []string{"RU", "TH", "US"},
			text: "Una hacker rusa fue detenida en Tailandia a petición de Estados Unidos."},
		// Negatives.
		{name: "un-article",
			text: "Un juez de instrucción citó a un testigo por un caso de estafa."},
		{name: "chile-pepper",
			text: "La salsa lleva tomate, cebolla y chile picante."},
		{name: "indigenas",
			text: "Los pueblos indígenas pidieron más protección para sus tierras."},
	}},
	{"fr", []recallCase{
		{name: "capitales-russes", states: []string{"FR", "DE", "RU"},
			text: "Paris et Berlin ont sanctionné trois officiers russes accusés de cyberattaques contre des hôpitaux."},
		{name: "elision", states: []string{"IR", "IL"},
			text: "L'Iran accuse les services de renseignement d'Israël d'avoir saboté son réseau électrique."},
		{name: "moscou-pekin", states: []string{"RU", "CN"}, orgs: []string{"UN"},
			text: "Moscou et Pékin ont présenté à l'ONU un projet de convention sur la cybercriminalité."},
		{name: "chinois", states: []string{"CN", "BE", "CZ"}, orgs: []string{"EU"},
			text: "Des pirates chinois ont visé les ministères de la Belgique et de la Tchéquie, selon l'Union européenne."},
		{name: "extradition-title", states: []string{"US", "RU", "FR"},
			title: "Extradition vers les États-Unis d'un ressortissant russe",
			text:  "La justice française a donné son feu vert jeudi."},
		{name: "americaine", states: []string{"US"}, orgs: []string{"NATO", "OSCE"},
			text: "Une délégation américaine a rencontré des diplomates de l'OTAN et de l'OSCE."},
		{name: "coree-du-nord", states: []string{"KP"}, orgs: []string{"UNSC"},
			text: "La Corée du Nord a dérobé des cryptomonnaies, selon un rapport remis au Conseil de sécurité."},
		{name: "interpol", states: []string{"SN", "CI", "CM"}, orgs: []string{"INTERPOL"},
			text: "Interpol a annoncé l'arrestation de 300 suspects au Sénégal, en Côte d'Ivoire et au Cameroun."},
		{name: "union-africaine", states: []string{"MA", "EG"}, orgs: []string{"AU"},
			text: "Le Maroc et l'Égypte ont rejoint le groupe de travail de l'Union africaine sur la cybersécurité."},
		{name: "ligue-arabe", states: []string{"SA", "AE"}, orgs: []string{"LAS"},
			text: "La Ligue arabe a condamné les attaques informatiques visant l'Arabie saoudite et les Émirats arabes unis."},
		{name: "assemblee-generale", orgs: []string{"UNGA"},
			text: "L'Assemblée générale des Nations unies a adopté la convention contre la cybercriminalité."},
		{name: "royaume-uni", states: []string{"GB", "UA"},
			text: "Le Royaume-Uni et l'Ukraine ont signé un accord de coopération ; Londres versera 10 millions de livres."},
		{name: "g20-inde", states: []string{"IN"}, orgs: []string{"G20"},
			text: "Au sommet du G20 à New Delhi, l'Inde a plaidé pour des infrastructures publiques numériques."},
		{name: "nord-coreens", states: []string{"JP", "KR", "KP"},
			text: "Le Japon et la Corée du Sud partagent leurs renseignements sur les missiles nord-coréens."},
		{name: "unesco-uit", orgs: []string{"UNESCO", "ITU"},
			text: "L'UNESCO et l'UIT organisent un forum sur l'intelligence artificielle."},
		{name: "conseil-de-l-europe", states: []string{"US"}, orgs: []string{"COE"},
			text: "Le Conseil de l'Europe a ouvert à la signature sa convention sur l'IA, signée dès le premier jour par Washington."},
		{name: "ue", states: []string{"BY"}, orgs: []string{"EU"},
			text: "Les Vingt-Sept de l'UE ont prolongé les sanctions contre la Biélorussie."},
		// Negatives.
		{name: "un-article",
			text: "Un tribunal a condamné un homme à un an de prison pour escroquerie en ligne."},
		{name: "dinde",
			text: "Le prix de la dinde a augmenté avant les fêtes."},
		{name: "amerique-latine",
			text: "Les exportations de café vers l'Amérique latine ont progressé."},
	}},
	{"ja", []recallCase{
		{name: "beikoku", states: []string{"US", "RU"},
			text: "米国司法省は、ロシアの情報機関に所属するハッカー2人を起訴した。"},
		{name: "nichibei", states: []string{"JP", "US"},
			text: "日米両政府は15日、サイバー攻撃への共同対処で合意した。"},
		{name: "beichu", states: []string{"US", "CN"},
			text: "米中の対立が深まる中、半導体の輸出規制が強化された。"},
		{name: "kokuren-sokai", orgs: []string{"UNGA"},
			text: "国連総会は、サイバー犯罪条約を全会一致で採択した。"},
		{name: "nato", states: []string{"RU"}, orgs: []string{"NATO"},
			text: "北大西洋条約機構（NATO）は、ロシアによる妨害工作への警戒を強めている。"},
		{name: "anpori", states: []string{"KP"}, orgs: []string{"UNSC"},
			text: "北朝鮮のハッカー集団が暗号資産を盗んだと、国連安全保障理事会の専門家パネルが報告した。"},
		{name: "chugoku-eikoku", states: []string{"CN", "GB"},
			text: "中国外務省の報道官は、英国の主張を「根拠がない」と否定した。"},
		{name: "kankoku", states: []string{"KR", "JP"},
			text: "韓国と日本の警察当局は、詐欺グループの摘発で協力した。"},
		{name: "asean", states: []string{"LA"}, orgs: []string{"ASEAN"},
			text: "東南アジア諸国連合（ASEAN）の国防相会議がラオスで開かれた。"},
		{name: "interpol", states: []string{"VN", "PH"}, orgs: []string{"INTERPOL"},
			text: "国際刑事警察機構（インターポール）は、ベトナムとフィリピンで詐欺拠点を摘発した。"},
		{name: "jica", states: []string{"KE"}, orgs: []string{"JICA"},
			text: "国際協力機構（JICA）は、ケニアでサイバーセキュリティー人材の育成を支援する。"},
		{name: "g7", states: []string{"IR"}, orgs: []string{"G7"},
			text: "G7外相会合は、イランによるサイバー攻撃を非難する声明を発表した。"},
		{name: "eu-title", states: []string{"UA"}, orgs: []string{"EU"},
			title: "ウクライナ、追加支援を要請",
			text:  "ウクライナ政府は、欧州連合（EU）に電力網の防護への支援を求めた。"},
		{name: "kokuren", states: []string{"DE", "FR"}, orgs: []string{"UN"},
			text: "ドイツとフランスは、国連の場でAIの軍事利用に関する規制を提案した。"},
		{name: "nichigo", states: []string{"JP", "AU"},
			text: "日豪両政府は、海底ケーブルの防護で協力を確認した。"},
		{name: "india-saudi", states: []string{"IN", "SA"},
			text: "インドとサウジアラビアは、データセンター建設で合意した。"},
		{name: "beiro", states: []string{"US", "RU"},
			text: "米露の外交官は、サイバー空間での偶発的な衝突の防止について協議した。"},
		// Negatives.
		{name: "beika-shinmai",
			text: "新米の出荷が始まり、米価は前年より上昇した。"},
		{name: "okome",
			text: "お米の消費量は年々減っている。"},
		{name: "dokuji-bukkyo",
			text: "同社は独自の調査で、仏教寺院の文化財を記録した。"},
		{name: "gou-eigo",
			text: "九州北部で豪雨が続き、英語の試験が延期された。"},
		{name: "chubei-central-america",
			text: "中米諸国では、海外からの送金に関する規制が強化された。"},
	}},
	{"pt", []recallCase{
		{name: "eua", states: []string{"US", "RU"},
			text: "Os EUA impuseram sanções a uma empresa russa acusada de vender ferramentas de espionagem."},
		{name: "norte-americano", states: []string{"US", "BR", "PT"},
			text: "O governo norte-americano pediu a extradição de um hacker brasileiro preso em Portugal."},
		{name: "pequim", states: []string{"CN", "AU"},
			text: "Pequim negou ter patrocinado ataques contra redes do governo da Austrália."},
		{name: "moscou-teera", states: []string{"RU", "IR"},
			text: "Moscou e Teerã assinaram um acordo de cooperação em segurança da informação."},
		{name: "russos", states: []string{"RU", "UA"}, orgs: []string{"NATO"},
			text: "Hackers russos invadiram sistemas do governo da Ucrânia, segundo a OTAN."},
		{name: "assembleia-geral", orgs: []string{"UNGA"},
			text: "A Assembleia Geral da ONU aprovou a primeira convenção contra o cibercrime."},
		{name: "brics-onu", orgs: []string{"BRICS", "UN"},
			text: "Os ministros do BRICS, reunidos no Rio de Janeiro, defenderam o papel da ONU na governança da internet."},
		{name: "interpol", states: []string{"AO", "FR"}, orgs: []string{"INTERPOL"},
			text: "A Polícia Federal prendeu, com apoio da Interpol, um suspeito angolano procurado pela França."},
		{name: "chinesa", states: []string{"CN", "MZ"},
			text: "Uma empresa chinesa foi acusada de instalar equipamentos de vigilância em Moçambique."},
		{name: "coreia-title", states: []string{"KP", "JP", "KR"}, orgs: []string{"UNSC"},
			title: "Coreia do Norte lança novo míssil",
			text:  "O Japão e a Coreia do Sul pediram uma reunião do Conselho de Segurança."},
		{name: "uniao-europeia", states: []string{"IL", "IR"}, orgs: []string{"EU"},
			text: "A União Europeia pediu a Israel e ao Irã que evitem ataques a infraestruturas civis."},
		{name: "oea", states: []string{"BR"}, orgs: []string{"OAS"},
			text: "A OEA e o Brasil lançaram um programa de formação em segurança cibernética."},
		{name: "india-alemanha", states: []string{"IN", "DE"},
			text: "A Índia e a Alemanha firmaram uma parceria em semicondutores em Nova Délhi."},
		{name: "g20-brasilia", states: []string{"BR"}, orgs: []string{"G20"},
			text: "O G20 reunido em Brasília discutiu a tributação das grandes plataformas digitais."},
		{name: "britanico", states: []string{"GB"},
			text: "Um tribunal britânico condenou um adolescente por invadir redes de empresas de videogames."},
		{name: "lisboa-irao", states: []string{"PT", "IR", "AL"},
			text: "Lisboa condenou o Irão pelos ataques informáticos contra a Albânia."},
		{name: "norte-coreanas", states: []string{"KP"},
			text: "Autoridades norte-coreanas negaram envolvimento no roubo de criptomoedas."},
		// Negatives.
		{name: "peru-ave",
			text: "O peru de Natal ficou mais caro nos supermercados este ano."},
		{name: "um-artigo",
			text: "Um juiz ouviu um suspeito num caso de fraude bancária."},
		{name: "indigenas",
			text: "Os povos indígenas da Amazônia pediram proteção para as suas terras."},
	}},
	{"ru", []recallCase{
		{name: "rossii", states: []string{"US", "RU"},
			text: "Минфин США ввёл санкции против граждан России, причастных к атакам на больницы."},
		{name: "rossiey-evrosoyuza", states: []string{"RU"}, orgs: []string{"EU"},
			text: "Совет Евросоюза обвинил в кибератаке группировку, связанную с Россией."},
		{name: "kitayu", states: []string{"US", "CN"},
			text: "Вашингтон предъявил Китаю обвинения во взломе телекоммуникационных сетей."},
		{name: "francii", states: []string{"FR", "RU", "US"},
			text: "Суд Франции разрешил экстрадицию российского программиста в США."},
		{name: "oon", orgs: []string{"UN"},
			text: "В ООН завершились переговоры по конвенции о киберпреступности."},
		{name: "nato", orgs: []string{"NATO"},
			text: "Генсек НАТО заявил, что кибератака может стать поводом для применения пятой статьи."},
		{name: "kitayskie", states: []string{"CN", "JP"},
			text: "Китайские хакеры атаковали серверы министерства обороны Японии."},
		{name: "amerikanskih", states: []string{"RU", "US"},
			text: "В Женеве прошли консультации российских и американских дипломатов."},
		{name: "sovbez", states: []string{"KP"}, orgs: []string{"UNSC"},
			text: "Северокорейские хакеры похитили криптовалюту на сотни миллионов долларов, говорится в докладе экспертов Совбеза ООН."},
		{name: "shos-odkb", orgs: []string{"SCO", "CSTO"},
			text: "Страны ШОС и ОДКБ договорились о совместных учениях по кибербезопасности."},
		{name: "sng", orgs: []string{"CIS"},
			text: "Главы МВД стран СНГ обсудили борьбу с телефонным мошенничеством."},
		{name: "moskva-briks", states: []string{"RU"}, orgs: []string{"BRICS"},
			text: "Москва предложила партнёрам по БРИКС создать общую платёжную систему."},
		{name: "iran-izrail", states: []string{"IR", "IL"},
			text: "Иран обвинил Израиль в атаке на систему автозаправочных станций."},
		{name: "kiev", states: []string{"UA", "RU"},
			text: "Киев заявил, что украинские хакеры вывели из строя серверы российского провайдера."},
		{name: "interpol", states: []string{"VN"}, orgs: []string{"INTERPOL"},
			text: "Интерпол объявил в розыск гражданина Вьетнама, подозреваемого в краже данных."},
		{name: "obse", states: []string{"DE", "GB"}, orgs: []string{"OSCE"},
			text: "Германия и Великобритания призвали ОБСЕ расширить меры доверия в киберпространстве."},
		{name: "g20", states: []string{"IN", "BR"}, orgs: []string{"G20"},
			text: "Индия и Бразилия выступили на площадке G20 против ограничений на передачу данных."},
		{name: "phenyan-title", states: []string{"KP"}, orgs: []string{"UN"},
			title: "Пхеньян отверг обвинения",
			text:  "КНДР назвала доклад экспертов ООН клеветой."},
		// Negatives.
		{name: "togo-pronoun",
			text: "Кроме того, полиция изъяла несколько серверов и ноутбуков."},
		{name: "chad-smoke",
			text: "Над городом весь день стоял чад от лесных пожаров."},
		{name: "indeyka",
			text: "Индейка к праздникам подорожала на десять процентов."},
	}},
	{"vi", []recallCase{
		{name: "my-nga", states: []string{"US", "RU"},
			text: "Mỹ áp đặt lệnh trừng phạt đối với các tin tặc Nga tấn công bệnh viện."},
		{name: "hoa-ky", states: []string{"US", "JP"},
			text: "Hoa Kỳ và Nhật Bản ký thỏa thuận hợp tác an ninh mạng."},
		{name: "trung-quoc-anh", states: []string{"CN", "GB"},
			text: "Trung Quốc bác bỏ cáo buộc của Anh về việc tấn công ủy ban bầu cử."},
		{name: "dai-hoi-dong", orgs: []string{"UNGA"},
			text: "Đại hội đồng Liên Hợp Quốc thông qua công ước về tội phạm mạng."},
		{name: "asean-ha-noi", states: []string{"VN"}, orgs: []string{"ASEAN"},
			text: "Các bộ trưởng ASEAN họp tại Hà Nội để bàn về hợp tác chống lừa đảo trực tuyến."},
		{name: "interpol", states: []string{"VN", "KH"}, orgs: []string{"INTERPOL"},
			text: "Interpol phối hợp với cảnh sát Việt Nam và Campuchia triệt phá đường dây lừa đảo."},
		{name: "han-quoc-trieu-tien", states: []string{"KR", "KP"},
			text: "Hàn Quốc cáo buộc Triều Tiên gây nhiễu tín hiệu GPS gần biên giới."},
		{name: "hoi-dong-bao-an", orgs: []string{"UNSC"},
			text: "Hội đồng Bảo an Liên Hợp Quốc họp khẩn về vụ tấn công mạng nhằm vào các bệnh viện."},
		{name: "nato-duc", states: []string{"RU", "DE"}, orgs: []string{"NATO"},
			text: "NATO cho biết Nga đứng sau chiến dịch tấn công mạng nhằm vào Đức."},
		{name: "eu-iran", states: []string{"IR"}, orgs: []string{"EU"},
			text: "Liên minh châu Âu (EU) trừng phạt các quan chức Iran liên quan đến tấn công mạng."},
		{name: "bac-kinh-moskva", states: []string{"CN", "RU"}, orgs: []string{"UN"},
			text: "Bắc Kinh và Moskva cam kết phối hợp lập trường tại Liên Hợp Quốc."},
		{name: "apec", states: []string{"PE"}, orgs: []string{"APEC"},
			text: "Các nhà lãnh đạo APEC nhất trí thúc đẩy kinh tế số tại hội nghị ở Peru."},
		{name: "an-do", states: []string{"IN", "AU"},
			text: "Ấn Độ và Australia tăng cường hợp tác về an ninh cáp quang biển."},
		{name: "phap-title", states: []string{"FR", "RU"},
			title: "Pháp trục xuất nhà ngoại giao Nga",
			text:  "Người này bị nghi làm gián điệp cho cơ quan tình báo quân đội."},
		{name: "israel-iran", states: []string{"IL", "IR"},
			text: "Israel cáo buộc Iran đứng sau vụ tấn công vào hệ thống cấp nước."},
		{name: "g20-brics", states: []string{"BR"}, orgs: []string{"G20", "BRICS"},
			text: "Brazil kêu gọi các nước G20 và BRICS thu hẹp khoảng cách số."},
		{name: "arf", orgs: []string{"ARF"},
			text: "Diễn đàn Khu vực ASEAN (ARF) thảo luận các biện pháp xây dựng lòng tin trên không gian mạng."},
		{name: "uc", states: []string{"AU", "ID"},
			text: "Cảnh sát Úc và Indonesia phối hợp điều tra đường dây rửa tiền."},
		{name: "washington-ha-noi", states: []string{"US", "VN"},
			text: "Washington và Hà Nội thảo luận về chuỗi cung ứng chất bán dẫn."},
		// Negatives.
		{name: "thien-nga",
			text: "Đàn thiên nga trắng đã trở lại hồ vào mùa xuân."},
		{name: "cap-nhat",
			text: "Ứng dụng ngân hàng vừa được cập nhật phiên bản mới."},
		{name: "my-pham",
			text: "Doanh số mỹ phẩm và dịch vụ thẩm mỹ tăng mạnh trong quý ba."},
		{name: "phap-luat",
			text: "Người vi phạm sẽ bị xử lý theo quy định của pháp luật."},
		{name: "anh-pronoun",
			text: "Cảnh sát cho biết anh ta đã nhận tội."},
	}},
	{"zh", []recallCase{
		{name: "zhongmei", states: []string{"CN", "US"},
			text: "中美两国外交官在日内瓦就网络安全举行磋商。"},
		{name: "eluosi", states: []string{"US", "RU"},
			text: "美国司法部起诉两名俄罗斯黑客，指控其攻击医院系统。"},
		{name: "zhongfang-meifang", states: []string{"CN", "US"},
			text: "中方坚决反对美方对中国企业实施制裁。"},
		{name: "lianda", orgs: []string{"UNGA"},
			text: "联合国大会通过了首个打击网络犯罪的全球公约。"},
		{name: "oumeng", states: []string{"KP"}, orgs: []string{"EU"},
			text: "欧盟宣布对涉嫌网络攻击的朝鲜个人实施制裁。"},
		{name: "anlihui", states: []string{"KP"}, orgs: []string{"UNSC"},
			text: "安理会就朝鲜窃取加密货币问题举行闭门会议。"},
		{name: "beiyue", states: []string{"RU"}, orgs: []string{"NATO"},
			text: "北约秘书长表示，俄罗斯的网络攻击可能触发集体防御条款。"},
		{name: "dongmeng-henei", states: []string{"VN"}, orgs: []string{"ASEAN"},
			text: "东盟各国在河内讨论了网络犯罪合作问题。"},
		{name: "shanghe", orgs: []string{"SCO"},
			text: "上海合作组织成员国同意加强打击网络恐怖主义合作。"},
		{name: "jinzhuan-lianheguo", orgs: []string{"BRICS", "UN"},
			text: "金砖国家领导人呼吁联合国在互联网治理中发挥主导作用。"},
		{name: "guojixingjing", states: []string{"TH", "KH"}, orgs: []string{"INTERPOL"},
			text: "国际刑警组织协助泰国和柬埔寨警方捣毁电信诈骗团伙。"},
		{name: "yilang-yiselie", states: []string{"IR", "IL"},
			text: "伊朗指责以色列对其加油站系统发动网络攻击。"},
		{name: "riben-hanguo", states: []string{"JP", "KR", "KP"},
			text: "日本和韩国决定共享朝鲜导弹预警信息。"},
		{name: "zhonge", states: []string{"CN", "RU"},
			text: "中俄签署国际信息安全合作协议。"},
		{name: "yingguo-title", states: []string{"GB", "CN"},
			title: "英国点名指责中国",
			text:  "英国国家网络安全中心称，国家支持的黑客组织攻击了选举委员会。"},
		{name: "itu-igf", states: []string{"SA"}, orgs: []string{"ITU", "IGF"},
			text: "国际电信联盟与互联网治理论坛在利雅得联合举办会议。"},
		{name: "aozhou-yindu", states: []string{"AU", "IN"}, orgs: []string{"G20"},
			text: "澳大利亚和印度在二十国集团峰会期间讨论海底光缆安全。"},
		{name: "wukelan-efang", states: []string{"UA", "RU"},
			text: "乌克兰指责俄方对其电网发动网络攻击。"},
		{name: "arf", orgs: []string{"ARF"},
			text: "东盟地区论坛通过了网络安全联络点名录。"},
		// Negatives.
		{name: "qizhong",
			text: "其中三名嫌疑人已被警方拘留。"},
		{name: "falv",
			text: "法律专家表示，新规定将于明年生效。"},
		{name: "meili",
			text: "这座城市的夜景十分美丽。"},
		{name: "daode",
			text: "网络空间也需要道德约束。"},
		{name: "fazhanzhong-guojia",
			text: "发展中国家需要更多网络能力建设援助。"},
	}},
}
