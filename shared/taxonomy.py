"""The event-theme taxonomy of Maillage: 21 top-level themes, their RNA mapping and lexicon.

Each :class:`Theme` has a stable ``code`` (used in URLs and the index), a French ``label``
for display, the RNA codes it maps to and a French lexicon.

RNA mapping
    Associations declare their social object with the codes of the national RNA / JOAFE
    nomenclature (file ``association_themes_rna.csv`` of the reference data; 29 top-level
    ``xxx000`` codes and 268 sub-codes). :data:`RNA_TOP` maps every top-level code to themes;
    :data:`RNA_SUB` overrides it for the sub-codes whose meaning differs from their parent
    (``009040`` "clubs troisième âge" is ``seniors``, not ``loisirs``). :func:`rna_themes`
    resolves any code: a sub-code listed in :data:`RNA_SUB`, else its ``xxx000`` parent
    (so unknown sub-codes such as ``019060`` found in real RNA records still resolve).
    ``050000`` ("domaines divers") maps to nothing. The official file files the ``0225xx``
    sub-codes under ``023000``; their numbers and labels are economic activities, so both
    parents map to ``economie`` and the choice does not matter here.

Lexicon
    ``strong`` terms are specific enough to decide alone even in a description
    (``maraude``, ``don du sang``); ``terms`` are ordinary evidence, and a term written with
    a leading ``~`` is weak (``~histoire``: a hint, never enough alone). Terms are written in
    plain French; they are stemmed with :func:`shared.text.stems` when the module loads, so
    a multi-word term matches the same run of stems in a text (stop words are ignored on
    both sides). Scoring is in :mod:`services.indexer.enrich.themes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from shared.text import stems


@dataclass(frozen=True, slots=True)
class Theme:
    code: str
    label: str
    strong: tuple[str, ...]
    terms: tuple[str, ...]


def _t(code: str, label: str, strong: str, terms: str) -> Theme:
    def split(raw: str) -> tuple[str, ...]:
        return tuple(p.strip() for p in raw.split("|") if p.strip())

    return Theme(code, label, split(strong), split(terms))


THEMES: tuple[Theme, ...] = (
    _t(
        "culture",
        "Culture et arts",
        "concert|concerts|spectacle|spectacles|théâtre|exposition|expo|vernissage|cinéma|"
        "ciné-débat|ciné-club|projection|chorale|opéra|récital|fest-noz|fest noz|danse|"
        "festival de musique|conte|contée|contées|conteuse|contes|lecture publique|"
        "improvisation théâtrale|"
        "arts plastiques|street art|jam session|scène ouverte",
        "chanson|musique|chant|chants|film|films|court-métrage|documentaire|art|arts|artiste|"
        "artistes|"
        "peinture|sculpture|photographie|photo|littérature|livre|livres|poésie|slam|"
        "bande dessinée|bd|cirque|marionnettes|jazz|rock|rap|hip-hop|électro|orchestre|"
        "fanfare|musée|galerie|œuvres|auteur|autrice|écrivain|roman|médiathèque|"
        "bibliothèque|dj|comédie|humour|chorégraphie|musiciens|live|artistique|"
        "culturel|culturelle|dessin|gravure|céramique|lecture|lectures|performance|"
        "one-man-show|stand-up|clown|ciné|folk|piano|guitare",
    ),
    _t(
        "sport",
        "Sport et plein air",
        "marathon|semi-marathon|trail|course à pied|randonnée|randonnées|handisport|"
        "match|football|basket|basket-ball|handball|volley|rugby|tennis|badminton|natation|"
        "judo|karaté|escalade|athlétisme|pétanque|triathlon|marche nordique|cyclisme",
        "sport|tournoi|sports|sportif|sportive|course|courses|foulées|rando|vélo|vélos|foot|"
        "piscine|"
        "boxe|gym|gymnastique|yoga|pilates|fitness|roller|skate|kayak|canoë|aviron|voile|"
        "équitation|escrime|tir à l'arc|ultimate|qi gong|tai chi|arts martiaux|aïkido|"
        "ping-pong|tennis de table|balade à vélo|stade|gymnase|entraînement|cross|"
        "olympiades|sortie vélo|bike|running|jogging|zumba|danse sportive",
    ),
    _t(
        "loisirs",
        "Loisirs et jeux",
        "jeux de société|jeu de société|soirée jeux|loto|belote|tarot|vide-grenier|"
        "vide grenier|braderie|brocante|escape game|murder party|karaoké|blind test",
        "~jeux|~jeu|bridge|échecs|bal|quiz|guinguette|~fête|~fêtes|kermesse|"
        "~sortie|excursion|voyage|modélisme|collectionneurs|puces|couturières|bricolage|tricot|"
        "couture|"
        "loisirs créatifs|scrapbooking|pique-nique|jeux vidéo|loisirs|détente|"
        "convivial|conviviale|~balade|promenade|~apéro|"
        "thé dansant|guinguette|carnaval|troc",
    ),
    _t(
        "solidarite",
        "Solidarité et entraide",
        "maraude|maraudes|banque alimentaire|distribution alimentaire|aide alimentaire|"
        "restos du cœur|secours populaire|secours catholique|croix-rouge|sans-abri|"
        "sans abri|sdf|épicerie solidaire|vestiaire solidaire|collecte de vêtements|"
        "précarité|hébergement d'urgence|accueil de jour|grande pauvreté|collecte alimentaire|"
        "collecte de jouets|collecte de dons|colis alimentaires|vestiaire|emmaüs|"
        "personnes à la rue",
        "solidarité|solidaire|solidaires|entraide|~collecte|dons|don|caritatif|caritative|"
        "humanitaire|pauvreté|exclusion|démunis|isolement|exilés|migrants|réfugiés|"
        "vêtements|couvertures|repas solidaire|soupe|"
        "fraternité",
    ),
    _t(
        "environnement",
        "Environnement et transition",
        "repair café|vélorution|repair-café|zéro déchet|compostage|compost|biodiversité|"
        "permaculture|"
        "jardin partagé|jardins partagés|fresque du climat|ramassage de déchets|"
        "nettoyage citoyen|développement durable|transition écologique|grainothèque|"
        "troc de plantes|troc de graines|apiculture|écologie|climat|climatique",
        "environnement|environnemental|écologique|écolo|nature|naturaliste|déchets|"
        "recyclage|réemploi|réparation|réparer|nettoyage|ramassage|jardin|jardins|"
        "jardinage|potager|plantation|arbres|arbre|oiseaux|faune|flore|abeilles|"
        "transition|énergie|énergies|mobilité douce|pollution|sobriété|vrac|nichoirs|chouette|"
        "rapaces|lpo|champignons|mycologique|cueillette|ornithologique|"
        "plantes|graines|semis|forêt|rivière|zones humides|insectes|vélo-école|"
        "bricolage vélo|atelier vélo|ressourcerie|recyclerie|upcycling",
    ),
    _t(
        "citoyennete",
        "Citoyenneté et débat public",
        "conseil de quartier|budget participatif|démocratie participative|réunion publique|"
        "droits humains|droits de l'homme|droits des femmes|laïcité|antiracisme|"
        "journée internationale des droits des femmes|violences faites aux femmes|"
        "marche des fiertés",
        "citoyenneté|citoyen|citoyenne|citoyens|citoyennes|~débat|~débats|démocratie|"
        "élections|élection|vote|droits|égalité|féminisme|féministe|discrimination|"
        "discriminations|racisme|manifestation|rassemblement|engagement|"
        "plaidoyer|paix|justice|juridique|juriste|juristes|accès aux droits|"
        "réforme des retraites|accès au droit|lgbt|lgbtqia|fiertés|politique|"
        "conseil citoyen|assemblée citoyenne|habitants|élus|"
        "table ronde|conférence-débat",
    ),
    _t(
        "education",
        "Éducation, formation et sciences",
        "soutien scolaire|aide aux devoirs|alphabétisation|français langue étrangère|"
        "culture scientifique|fête de la science|éducation populaire|café philo|"
        "apprentissage du français|cours de français",
        "formation|formations|apprentissage|science|sciences|"
        "scientifique|scientifiques|chercheur|chercheuse|recherche|université|~école|"
        "~écoles|scolaire|~élèves|éducation|éducatif|pédagogie|savoirs|astronomie|"
        "conférence scientifique|mathématiques|langues|langue|philosophie|philo|"
        "enseignants|lycéens|collégiens|orientation scolaire",
    ),
    _t(
        "sante",
        "Santé et bien-être",
        "santé mentale|dépistage|don du sang|don de sang|collecte de sang|collectes de sang|"
        "vaccination|premiers secours|"
        "gestes qui sauvent|octobre rose|prévention santé|sophrologie|addictions",
        "santé|yoga|prévention|maladie|maladies|cancer|diabète|alzheimer|parkinson|soins|"
        "médecin|médecins|infirmier|infirmière|bien-être|relaxation|addiction|alcool|"
        "tabac|secourisme|psychologie|psychologique|stress|sommeil|sexualité|"
        "contraception|vih|sida|hôpital|aidants|nutrition|méditation|massage|"
        "respiration|souffrance psychique|écoute|deuil|santé publique",
    ),
    _t(
        "jeunesse",
        "Jeunesse",
        "bafa|service civique|information jeunesse|colonie de vacances|accueil de loisirs|"
        "centre de loisirs|scoutisme|espace jeunes|conseil des jeunes",
        "jeunes|jeunesse|ados|adolescents|adolescentes|scouts|colo|lycéens|"
        "collégiens|16-25 ans|15-25 ans|11-17 ans|~étudiants|~étudiant|~étudiante|"
        "~étudiantes|campus",
    ),
    _t(
        "numerique",
        "Numérique",
        "inclusion numérique|logiciel libre|logiciels libres|install party|fablab|"
        "impression 3d|cybersécurité|intelligence artificielle|hackathon|open data|"
        "démarches en ligne|atelier numérique|ateliers numériques",
        "numérique|numériques|informatique|ordinateur|ordinateurs|internet|smartphone|"
        "smartphones|tablette|tablettes|logiciel|logiciels|linux|codage|"
        "robotique|ia|données|wikipédia|réseaux sociaux|électronique|arduino|raspberry|"
        "jeux vidéo|email|vie privée|geek|web|site web|cyber",
    ),
    _t(
        "economie",
        "Économie, ESS et consommation",
        "économie sociale et solidaire|ess|monnaie locale|galléco|création d'entreprise|"
        "entrepreneuriat|consommation responsable",
        "économie|économique|économiques|entreprise|entreprises|entrepreneurs|commerce|"
        "commerçants|consommation|consommateurs|litiges|litige|coopérative|coopératives|finance|"
        "finances|épargne|artisans|artisanat|foire|crowdfunding|microcrédit|"
        "tiers-lieu|business|marché de noël|achats|budget familial|surendettement",
    ),
    _t(
        "patrimoine",
        "Patrimoine et histoire",
        "journées du patrimoine|journées européennes du patrimoine|visite guidée|"
        "visites guidées|généalogie|archéologie|commémoration|patrimoine|culture bretonne|"
        "langue bretonne|gallo|danses bretonnes|danse bretonne",
        "~histoire|historique|historiques|monument|monuments|architecture|archives|"
        "mémoire|château|chapelle|cathédrale|vieux rennes|patrimonial|"
        "musée de bretagne|siècle|guerre|breton|fest-noz|bretonne|traditionnel|traditionnelle|"
        "traditions|~visite|~visites|colombages",
    ),
    _t(
        "international",
        "International et interculturel",
        "solidarité internationale|coopération internationale|jumelage|interculturel|"
        "interculturelle|café des langues|tandem linguistique|festival des solidarités|"
        "erasmus",
        "international|internationale|internationaux|europe|européen|européenne|"
        "cultures du monde|étranger|étrangers|personnes migrantes|cuisines du monde|"
        "cuisine du monde|musiques du monde|liban|étrangère|afrique|africain|maghreb|"
        "amérique latine|palestine|ukraine|maroc|sénégal|burkina|allemagne|erlangen|"
        "brésil|mexique|chili|inde|japon|chine|diaspora|exil|migrations|franco-allemand",
    ),
    _t(
        "famille",
        "Famille et parentalité",
        "parentalité|petite enfance|parents-enfants|parent-enfant|"
        "bébés lecteurs|jeune public|ludothèque",
        "famille|familles|familial|familiale|familiaux|parents|parent|bébé|bébés|"
        "grands-parents|naissance|allaitement|~enfants|~enfant|éveil|~goûter|"
        "intergénérationnel|crèche|maternelle|3-6 ans|0-3 ans",
    ),
    _t(
        "seniors",
        "Seniors",
        "seniors|séniors|personnes âgées|troisième âge|club des aînés|semaine bleue|ehpad",
        "aînés|retraités|retraite|vieillissement|thé dansant|âgées|âgés|"
        "intergénérationnel|maison de retraite",
    ),
    _t(
        "handicap-inclusion",
        "Handicap et inclusion",
        "situation de handicap|handisport|sport adapté|autisme|trisomie|"
        "personnes handicapées|inclusion des personnes",
        "handicap|handicaps|handicapé|handicapés|handicapée|inclusion|inclusif|"
        "inclusive|sourds|malentendants|aveugles|malvoyants|langue des signes|"
        "dyslexie|dys|fauteuil|valides|accessibilité|neuroatypiques|tsa",
    ),
    _t(
        "logement-urbanisme",
        "Logement, habitat et urbanisme",
        "habitat participatif|mal-logement|droit au logement|projet urbain|urbanisme|"
        "rénovation énergétique|locataires",
        "logement|logements|habitat|hlm|bailleur|aménagement|rénovation|colocation|"
        "expulsions|squat|cadre de vie|~urbain|urbaine|"
        "immobilier|propriétaires|copropriété|plui",
    ),
    _t(
        "alimentation",
        "Alimentation et agriculture",
        "amap|circuit court|circuits courts|gaspillage alimentaire|anti-gaspi|"
        "disco soupe|atelier cuisine|ateliers cuisine|producteurs locaux|maraîchage|"
        "marché de producteurs|cours de cuisine|dégustation",
        "alimentation|alimentaire|cuisine|cuisiner|recette|recettes|repas|gastronomie|"
        "bio|agriculture|agricole|paysan|paysanne|paysans|pain|fromage|vin|vins|bière|"
        "bières|brassage|conserves|cantine|banquet|légumes|fruits|manger|nourriture|"
        "producteurs|saveurs|culinaire|épices|végétarien|vegan",
    ),
    _t(
        "emploi-insertion",
        "Emploi et insertion",
        "job dating|forum de l'emploi|forum emploi|recherche d'emploi|demandeurs d'emploi|"
        "entretien d'embauche|insertion professionnelle|mission locale|france travail|"
        "pôle emploi|jobs d'été|job d'été|reconversion professionnelle",
        "emploi|emplois|insertion|chômage|cv|recrutement|recrute|reconversion|métier|"
        "métiers|alternance|embauche|candidature|candidatures|"
        "salariés|chantier d'insertion",
    ),
    _t(
        "spiritualite",
        "Spiritualité et religions",
        "spiritualité|méditation bouddhiste|prière|messe|célébration œcuménique|"
        "pèlerinage|ramadan|iftar|culte",
        "spirituel|spirituelle|religion|religions|religieux|religieuse|bouddhisme|"
        "bouddhiste|islam|musulman|musulmans|mosquée|synagogue|chrétien|chrétiens|"
        "catholique|protestant|~église|paroisse|bible|coran|méditation|zen|"
        "interreligieux|foi",
    ),
    _t(
        "vie-associative",
        "Vie associative et bénévolat",
        "forum des associations|nouveaux arrivants|assemblée générale|fête des associations|"
        "appel à bénévoles|formation des bénévoles|vie associative",
        "bénévolat|asso|nouveaux adhérents|bénévoles|~associatif|~associative|ag|"
        "rentrée des associations",
    ),
)

THEME_BY_CODE = MappingProxyType({t.code: t for t in THEMES})

#: RNA top-level code -> themes.
RNA_TOP: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "001000": ("citoyennete",),
        "002000": ("citoyennete",),
        "003000": ("citoyennete",),
        "004000": ("citoyennete",),
        "005000": ("culture",),
        "006000": ("culture",),
        "007000": ("loisirs",),
        "009000": ("loisirs",),
        "010000": ("patrimoine",),
        "011000": ("sport",),
        "013000": ("loisirs",),
        "014000": ("loisirs",),
        "015000": ("education",),
        "016000": ("education",),
        "017000": ("sante",),
        "018000": ("sante", "solidarite"),
        "019000": ("solidarite",),
        "020000": ("solidarite",),
        "021000": ("famille",),
        "022000": ("economie",),
        "023000": ("economie",),
        "024000": ("environnement",),
        "030000": ("emploi-insertion",),
        "032000": ("logement-urbanisme",),
        "034000": ("loisirs",),
        "036000": ("citoyennete",),
        "038000": ("patrimoine",),
        "040000": ("spiritualite",),
        "050000": (),
    }
)

#: RNA sub-codes whose themes differ from their parent's.
RNA_SUB: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "002005": ("solidarite",),
        "002020": ("education",),
        "003030": ("citoyennete", "handicap-inclusion"),
        "003050": ("citoyennete", "international"),
        "005020": ("numerique",),
        "006090": ("loisirs", "culture"),
        "006105": ("education", "numerique"),
        "006110": ("culture", "education"),
        "007060": ("alimentation",),
        "007070": ("environnement", "loisirs"),
        "007075": ("economie", "solidarite"),
        "007085": ("sante",),
        "009005": ("jeunesse",),
        "009007": ("culture",),
        "009010": ("handicap-inclusion", "loisirs"),
        "009015": ("jeunesse", "education"),
        "009020": ("jeunesse",),
        "009025": ("jeunesse", "education"),
        "009040": ("seniors",),
        "009050": ("international",),
        "011018": ("sport", "handicap-inclusion"),
        "014025": ("economie",),
        "014030": ("economie",),
        "014035": ("solidarite",),
        "014040": ("international",),
        "014050": ("solidarite", "citoyennete"),
        "014060": ("citoyennete",),
        "014070": ("handicap-inclusion",),
        "015005": ("education", "famille"),
        "015045": ("education", "emploi-insertion"),
        "015065": ("education", "jeunesse"),
        "015100": ("education", "emploi-insertion"),
        "018005": ("famille",),
        "018010": ("jeunesse", "solidarite"),
        "018015": ("handicap-inclusion",),
        "018025": ("solidarite",),
        "018030": ("sante",),
        "018050": ("handicap-inclusion",),
        "019004": ("famille",),
        "019005": ("famille",),
        "019014": ("education", "solidarite"),
        "019016": ("jeunesse", "emploi-insertion"),
        "019020": ("emploi-insertion",),
        "019025": ("solidarite", "international"),
        "020020": ("solidarite", "international"),
        "020025": ("vie-associative",),
        "021010": ("seniors",),
        "021015": ("seniors",),
        "021020": ("seniors",),
        "023001": ("citoyennete",),
        "023010": ("seniors",),
        "023020": ("alimentation", "economie"),
        "024045": ("environnement", "logement-urbanisme"),
        "030012": ("citoyennete",),
        "030020": ("economie",),
        "030050": ("environnement", "economie"),
        "036520": ("sante",),
    }
)


def rna_themes(code: str) -> tuple[str, ...]:
    """Themes of an RNA code; an unknown sub-code falls back to its ``xxx000`` parent."""
    code = code.strip().zfill(6)
    if not code.isdigit() or len(code) != 6:
        return ()
    if code in RNA_SUB:
        return RNA_SUB[code]
    return RNA_TOP.get(code[:3] + "000", ())


def theme_label(code: str) -> str:
    """The French label of a theme code (the code itself when unknown)."""
    theme = THEME_BY_CODE.get(code)
    return theme.label if theme else code


#: Strength of a lexicon term.
STRONG, NORMAL, WEAK = 2, 1, 0


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    theme: str
    term: str  # as written, for reasons
    key: tuple[str, ...]  # its stems
    strength: int  # STRONG, NORMAL or WEAK


def _entries() -> tuple[LexiconEntry, ...]:
    out: list[LexiconEntry] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for theme in THEMES:
        for default, terms in ((STRONG, theme.strong), (NORMAL, theme.terms)):
            for raw in terms:
                strength = WEAK if raw.startswith("~") else default
                term = raw.lstrip("~")
                key = tuple(stems(term))
                if key and (theme.code, key) not in seen:  # "concert"/"concerts": one entry
                    seen.add((theme.code, key))
                    out.append(LexiconEntry(theme.code, term, key, strength))
    return tuple(out)


#: every lexicon term, stemmed, in taxonomy order.
LEXICON: tuple[LexiconEntry, ...] = _entries()
