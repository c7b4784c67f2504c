package cluster

type text struct{ title, body string }

// matching are French and English items about cyber diplomacy that the
// built-in cyber-diplomacy classifier matches (vigie classify --jsonl).
var matching = []text{
	{"Les États membres de l'ONU reprennent les travaux de l'OEWG sur la sécurité des TIC",
		"À New York, les délégations du groupe de travail à composition non limitée (OEWG) ont débattu des normes de comportement responsable des États dans le cyberespace et des mesures de confiance."},
	{"Three more countries join the Budapest Convention on Cybercrime",
		"The Council of Europe said three states deposited their instruments of accession to the Budapest Convention on Cybercrime, strengthening international cooperation against online crime."},
	{"L'Appel de Paris pour la confiance et la sécurité dans le cyberespace compte de nouveaux soutiens",
		"Des États, des entreprises et des organisations de la société civile ont rejoint l'Appel de Paris, qui promeut des normes de cybersécurité internationale et la coopération multipartite."},
	{"UN Open-Ended Working Group on ICT security agrees on a global points of contact directory",
		"Delegates at the OEWG adopted confidence-building measures, including a directory of points of contact, and discussed how international law applies in cyberspace."},
	{"Le Programme d'action sur la cybersécurité discuté aux Nations unies",
		"Les diplomates ont examiné la création d'un programme d'action des Nations unies pour promouvoir le comportement responsable des États dans le cyberespace et le renforcement des capacités cyber."},
	{"EU imposes sanctions over cyber-attacks attributed to state-backed hackers",
		"The Council of the European Union used its cyber sanctions regime against individuals responsible for cyber-attacks, after a public attribution by member states."},
}

// offTopic are French and English items that must raise no alert.
var offTopic = []text{
	{"Football : Lyon s'impose à Marseille",
		"L'Olympique lyonnais a battu l'Olympique de Marseille deux buts à un samedi soir au Vélodrome."},
	{"Heavy rain expected across the south of England this weekend",
		"Forecasters issued weather warnings for heavy rain and strong winds from Saturday morning."},
	{"La recette de la tarte tatin",
		"Caramélisez les pommes avec le beurre et le sucre, couvrez de pâte brisée et enfournez quarante minutes."},
	{"Local bakery wins national bread award",
		"A family bakery in the north was named the best in the country for its sourdough loaves."},
}
