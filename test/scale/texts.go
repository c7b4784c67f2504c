package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

type text struct{ title, body string }

// texts are the items the farm serves, in turn: news in the languages Vigie
// reads by default, a third of them about cyber diplomacy (they raise
// alerts), so that language detection, entities and classification do the
// work they do on real feeds.
var texts = []text{
	{"UN Open-Ended Working Group on ICT security agrees on a global points of contact directory",
		"Delegates at the OEWG in New York adopted confidence-building measures, including a directory of points of contact, and discussed how international law applies in cyberspace. Several states asked for a permanent mechanism after the group's mandate ends, while others warned against duplicating existing processes."},
	{"Heavy rain expected across the south of England this weekend",
		"Forecasters issued weather warnings for heavy rain and strong winds from Saturday morning. Train operators said some services would run to a reduced timetable and advised passengers to check before travelling; councils prepared sandbags in towns along the rivers that flooded last winter."},
	{"Les États membres de l'ONU reprennent les travaux de l'OEWG sur la sécurité des TIC",
		"À New York, les délégations du groupe de travail à composition non limitée ont débattu des normes de comportement responsable des États dans le cyberespace et des mesures de confiance. Plusieurs pays ont plaidé pour un programme d'action permanent."},
	{"Football : Lyon s'impose à Marseille au terme d'un match disputé",
		"L'Olympique lyonnais a battu l'Olympique de Marseille deux buts à un samedi soir au Vélodrome. Les Lyonnais ont marqué deux fois en première période avant de résister à la pression marseillaise jusqu'au coup de sifflet final."},
	{"La Unión Europea impone sanciones por ciberataques atribuidos a piratas respaldados por un Estado",
		"El Consejo de la Unión Europea aplicó su régimen de sanciones cibernéticas contra personas responsables de ataques informáticos, después de una atribución pública por parte de los Estados miembros. Las medidas incluyen la congelación de bienes."},
	{"El Gobierno presenta un plan para mejorar la red de trenes de cercanías",
		"El ministerio anunció una inversión para renovar las vías y los trenes de cercanías en las principales ciudades durante los próximos cinco años. Los sindicatos pidieron más personal en las estaciones y horarios más fiables para los viajeros."},
	{"Делегации ООН обсудили нормы ответственного поведения государств в киберпространстве",
		"В Нью-Йорке рабочая группа открытого состава обсудила меры укрепления доверия и применение международного права в сфере информационно-коммуникационных технологий. Ряд государств предложил создать постоянный механизм."},
	{"Hội nghị bàn về hợp tác an ninh mạng trong khu vực",
		"Các đại biểu đã thảo luận về các biện pháp xây dựng lòng tin và nâng cao năng lực an ninh mạng cho các nước trong khu vực, đồng thời nhấn mạnh vai trò của luật pháp quốc tế trên không gian mạng và của Liên hợp quốc."},
	{"東京で新しい美術館が開館、初日に多くの来場者",
		"東京都内に新しい美術館が開館し、初日から多くの来場者が訪れた。館長は、国内外の現代美術を紹介する展示を年に四回入れ替える予定だと話した。周辺の商店街も来場者の増加を期待している。"},
	{"Die Bundesregierung beschließt ein Programm zur Förderung von Solaranlagen",
		"Das Kabinett hat ein Förderprogramm für Solaranlagen auf Wohngebäuden beschlossen. Hausbesitzer sollen Zuschüsse für die Installation und für Batteriespeicher erhalten; die Opposition kritisierte die Finanzierung als unzureichend."},
	{"Governo anuncia novas regras para o transporte público nas grandes cidades",
		"O ministério dos transportes apresentou um conjunto de medidas para melhorar a pontualidade dos autocarros e comboios urbanos. As associações de utentes saudaram o plano, mas pediram mais investimento na manutenção da frota."},
	{"مجلس الأمن يناقش الأمن السيبراني والقانون الدولي في الفضاء الإلكتروني",
		"ناقش المندوبون في الأمم المتحدة تدابير بناء الثقة وتطبيق القانون الدولي في الفضاء الإلكتروني، ودعت عدة دول إلى إنشاء آلية دائمة لمتابعة معايير السلوك المسؤول للدول."},
}

// item is the k-th item's title and text: one of texts with about a third
// of its words left out, and two names and a number of its own, so that
// the items report 20,000 different events (story grouping puts identical
// reports in one story) while keeping their language and, for those about
// cyber diplomacy, their terms.
func item(k int) (title, body string) {
	rng := rand.New(rand.NewPCG(uint64(k), 17))
	t := texts[k%len(texts)]
	place, person := name(rng), name(rng)
	title = fmt.Sprintf("%s: %s (%d)", place, thin(rng, t.title), 10000+k)
	body = fmt.Sprintf("%s %s, %s.", thin(rng, t.body), person, place)
	return title, body
}

// thin leaves out about a third of the words of s.
func thin(rng *rand.Rand, s string) string {
	words := strings.Fields(s)
	kept := words[:0]
	for _, w := range words {
		if rng.IntN(3) > 0 {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// name is a made-up proper name.
func name(rng *rand.Rand) string {
	syllables := []string{"ka", "lo", "mir", "sa", "ven", "tor", "el", "du", "ra", "zin", "po", "gal", "ne", "ush", "ber", "ti", "fa", "wen", "ho", "cas", "ri", "mu", "de", "lan"}
	var b strings.Builder
	for i := range 3 + rng.IntN(2) {
		s := syllables[rng.IntN(len(syllables))]
		if i == 0 {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		b.WriteString(s)
	}
	return b.String()
}
