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

Audience themes
    ``jeunesse``, ``famille`` and ``seniors`` say whom an event is designed for, not merely
    who may come. ``jeunesse`` is for children and young people (up to 25): a children's
    show (``jeune public``), a range of ages such as ``3-6 ans`` or ``8-15 ans``, an age
    group (``U13``), ``pour les enfants`` in a title, ``réservé aux ados``. ``famille`` is
    for babies and toddlers and for children with their parents: ``0-3 ans``, a range that
    starts at birth (``de 0 à 12 ans``), ``parents-enfants``, ``et leurs parents``; young
    children come with a parent, so a children's range that starts under six (``3-6 ans``),
    ``jeune public`` and ``pour les enfants`` give both. ``seniors``: 60 and more,
    ``pour les seniors``, ``réservé aux aînés``. A range that runs into adulthood
    (``de 3 à 99 ans``) and an open range (``dès 5 ans``) give none; nor does an audience
    word that is part of a name (``les Jeunes Ambitieux``, ``Seniors F``: a team).
    The rules are in :func:`services.indexer.enrich.theme_text.age_themes`.

Festive outings
    Christmas markets, fun fairs and traditional fairs (``marché de Noël``, ``foire
    Saint-Martin``, ``foire aux greniers``) are ``loisirs``, an outing, not ``economie``;
    a trade fair (``foire exposition``) is ``economie``.

Lexicon
    ``strong`` terms are specific enough to decide alone even in a description
    (``maraude``, ``don du sang``); ``terms`` are ordinary evidence, and a term written with
    a leading ``~`` is weak (``~histoire``: a hint, never enough alone). Terms are written in
    plain French; they are stemmed with :func:`shared.theme_words.theme_stems` when the
    module loads, so a multi-word term matches the same run of stems in a text (stop words
    are ignored on both sides). Words whose theme depends on the rest of the text
    (``retraite``, ``marche``, ``vélo``...) are not in these lists but in
    :data:`shared.theme_words.SENSES`. Scoring is in :mod:`services.indexer.enrich.themes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from shared.text import fold
from shared.theme_words import SENSES, theme_stems


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
        "arts plastiques|street art|jam session|scène ouverte|match d'improvisation|"
        "match d'impro|atelier d'écriture|ateliers d'écriture|film culte|pop culture|"
        "culture geek|films d'animation|film d'animation|animation japonaise",
        "chanson|musique|chant|chants|film|films|court-métrage|documentaire|art|arts|artiste|"
        "artistes|"
        "peinture|sculpture|photographie|photo|littérature|livre|livres|poésie|slam|"
        "bande dessinée|bd|cirque|marionnettes|jazz|rock|rap|hip-hop|électro|orchestre|"
        "fanfare|musée|galerie|œuvres|auteur|autrice|écrivain|roman|médiathèque|"
        "bibliothèque|dj|comédie|humour|chorégraphie|musiciens|live|artistique|"
        "culturel|culturelle|dessin|gravure|céramique|lecture|lectures|performance|"
        "one-man-show|stand-up|clown|ciné|folk|piano|guitare|aquarelle|mosaïque|manga|"
        "mangas|bandes dessinées|comics|écriture|orgue|comédiens|comédie musicale|violon|"
        "violoncelle|contrebasse|trompette|trombone|saxophone|clarinette|flûte|hautbois|harpe|"
        "accordéon|percussions|ukulélé|violoniste|pianiste|violoncelliste|guitariste|soliste|"
        "musique de chambre|quatuor|chant lyrique|art lyrique|~conservatoire|musical|musicale|"
        "musicales|musicaux|comptines|comptine",
    ),
    _t(
        "sport",
        "Sport et plein air",
        "marathon|semi-marathon|trail|course à pied|randonnée|randonnées|handisport|"
        "match|football|basket|basket-ball|handball|volley|rugby|tennis|badminton|natation|"
        "judo|karaté|escalade|athlétisme|pétanque|triathlon|marche nordique|cyclisme|"
        "vtt|futsal|championnat|ski|snowboard|cyclotourisme|course d'orientation|"
        "sortie vélo|sortie route|gym douce|sport adapté|activité physique|open de bloc|"
        "contest de bloc|contest d'escalade|bouldering",
        "sport|sports|sportif|sportive|course|courses|foulées|rando|foot|"
        "piscine|"
        "boxe|gym|gymnastique|yoga|pilates|fitness|roller|skate|kayak|canoë|aviron|voile|"
        "équitation|escrime|tir à l'arc|ultimate frisbee|qi gong|tai chi|arts martiaux|aïkido|"
        "ping-pong|tennis de table|balade à vélo|stade|gymnase|entraînement|cross|"
        "olympiades|bike|running|jogging|zumba|danse sportive|natation|nage|"
        "licenciés|arbitrage|arbitres|entraîneur|grimpe|plongée|golf|hockey|surf|"
        "musculation|renforcement musculaire|cyclistes|kendo|capoeira|triathlètes|"
        "cécifoot|torball|basket fauteuil|randonneurs|marcheurs|trail|grimpeurs|grimpeuses|"
        "multisport|multisports|omnisports",
    ),
    _t(
        "loisirs",
        "Loisirs et jeux",
        "jeux de société|jeu de société|soirée jeux|loto|belote|tarot|vide-grenier|"
        "vide grenier|braderie|brocante|escape game|murder party|karaoké|blind test|"
        "jeux de rôle|jeu de rôle|cosplay|retrogaming|rétrogaming|jeux vidéo|jeu vidéo|"
        "concours de belote|galette des rois|fête de quartier|fête du jeu|poker|coinche|"
        "jeux de cartes|jeu de cartes|scrabble|jeu de go|backgammon|mahjong|fête foraine",
        "~jeux|~jeu|bridge|échecs|bal|quiz|guinguette|~fête|~fêtes|kermesse|"
        "geek|geeks|otaku|furry|convention|figurines|warhammer|magic|arcade|consoles|"
        "e-sport|esport|~jouets|jouets anciens|collection|mölkky|palet|pêche|croisière|"
        "feu d'artifice|bal populaire|fête communale|soirée crêpes|tombola|"
        "~sortie|excursion|~voyage|modélisme|collectionneurs|puces|couturières|bricolage|tricot|"
        "couture|"
        "loisirs créatifs|scrapbooking|pique-nique|jeux vidéo|loisirs|détente|"
        "convivial|conviviale|~balade|promenade|~apéro|"
        "thé dansant|guinguette|carnaval|troc|marché de noël|marchés de noël",
    ),
    _t(
        "solidarite",
        "Solidarité et entraide",
        "maraude|maraudes|banque alimentaire|distribution alimentaire|aide alimentaire|"
        "restos du cœur|secours populaire|secours catholique|sans-abri|"
        "sans abri|sdf|épicerie solidaire|vestiaire solidaire|collecte de vêtements|"
        "précarité|hébergement d'urgence|accueil de jour|grande pauvreté|collecte alimentaire|"
        "collecte de jouets|collecte de dons|colis alimentaires|emmaüs|"
        "personnes à la rue",
        "solidarité|solidaire|solidaires|entraide|~collecte|dons|don|caritatif|caritative|"
        "humanitaire|pauvreté|exclusion|démunis|isolement|exilés|migrants|réfugiés|"
        "~vêtements|couvertures|repas solidaire|soupe|croix-rouge|personnes isolées|"
        "fraternité|écrivain public|cantine solidaire",
    ),
    _t(
        "environnement",
        "Environnement et transition",
        "repair café|vélorution|repair-café|zéro déchet|compostage|compost|biodiversité|"
        "permaculture|"
        "jardin partagé|jardins partagés|fresque du climat|ramassage de déchets|"
        "nettoyage citoyen|développement durable|transition écologique|grainothèque|"
        "troc de plantes|troc de graines|apiculture|écologie|climat|climatique|"
        "jardins familiaux|jardin familial|station d'épuration|pesticides|atelier vélo|"
        "ateliers vélo|vélo-école|réparer son vélo|plan vélo|pistes cyclables|rucher école|"
        "apiculteur|apiculteurs|apicultrice|apicultrices",
        "environnement|environnemental|écologique|écolo|nature|naturaliste|déchets|"
        "recyclage|réemploi|réparation|réparer|nettoyage|ramassage|jardin|jardins|"
        "jardinage|potager|plantation|arbres|arbre|faune|flore|abeilles|"
        "transition|énergie|énergies|mobilité douce|pollution|sobriété|vrac|nichoirs|chouette|"
        "rapaces|lpo|champignons|mycologique|cueillette|ornithologique|"
        "plantes|graines|semis|forêt|rivière|zones humides|insectes|vélo-école|"
        "bricolage vélo|ressourcerie|recyclerie|upcycling|ruches|mare pédagogique|zéro déchet|"
        "botanique|ornithologue|sauvages|berges|essaim|essaims",
    ),
    _t(
        "citoyennete",
        "Citoyenneté et débat public",
        "conseil de quartier|budget participatif|démocratie participative|réunion publique|"
        "droits humains|droits de l'homme|droits des femmes|laïcité|antiracisme|"
        "journée internationale des droits des femmes|violences faites aux femmes|"
        "marche des fiertés|conseil municipal|conseil métropolitain|conseil communautaire|"
        "réunion de quartier|réunions de quartier|comité de quartier|conseil citoyen|"
        "marche blanche|cercle de silence|pétition|élections municipales|listes électorales|"
        "intersyndicale|grève|permanence des élus|violences policières|ligue des droits de l'homme|"
        "conseil municipal des enfants|conseil municipal des jeunes|atelier participatif|"
        "assemblée citoyenne",
        "citoyenneté|citoyen|citoyenne|citoyens|citoyennes|~débat|~débats|démocratie|"
        "élections|élection|vote|droits|égalité|féminisme|féministe|discrimination|"
        "discriminations|racisme|manifestation|rassemblement|engagement|"
        "plaidoyer|paix|justice|juridique|juriste|juristes|accès aux droits|"
        "réforme des retraites|accès au droit|lgbt|lgbtqia|fiertés|politique|"
        "habitants|élus|"
        "conférence-débat|député|députée|sénateur|sénatrice|syndicat|syndicats|syndical|"
        "syndicale|mobilisation|manifestants|dépouillement|scrutin|procuration|électorale|"
        "électorales|concertation|enquête publique|régularisation|expulsion|~participatif|"
        "~participative|laïque|noustoutes|féminicides|opposition|municipalité",
    ),
    _t(
        "education",
        "Éducation, formation et sciences",
        "soutien scolaire|aide aux devoirs|alphabétisation|français langue étrangère|"
        "culture scientifique|fête de la science|éducation populaire|café philo|"
        "apprentissage du français|cours de français|parents d'élèves|harcèlement scolaire|"
        "école de musique|premiers secours",
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
        "gestes qui sauvent|octobre rose|prévention santé|sophrologie|addictions|"
        "soins palliatifs|fin de vie|troubles de la mémoire|atelier mémoire|ateliers mémoire",
        "santé|yoga|prévention|maladie|maladies|cancer|diabète|alzheimer|parkinson|soins|"
        "médecin|médecins|infirmier|infirmière|bien-être|relaxation|addiction|alcool|"
        "tabac|secourisme|psychologie|psychologique|stress|sommeil|sexualité|"
        "contraception|vih|sida|hôpital|aidants|nutrition|méditation|massage|"
        "respiration|souffrance psychique|deuil|santé publique|psychologue|pédiatre|"
        "diététicienne|diététicien|mucoviscidose|gym douce|activité physique adaptée|"
        "reprise d'activité",
    ),
    _t(
        "jeunesse",
        "Jeunesse",
        "bafa|service civique|information jeunesse|colonie de vacances|accueil de loisirs|"
        "centre de loisirs|scoutisme|espace jeunes|conseil des jeunes|jeune public",
        "jeunes|jeunesse|ados|adolescents|adolescentes|scouts|colo|lycéens|"
        "collégiens|16-25 ans|15-25 ans|11-17 ans|~étudiants|~étudiant|~étudiante|"
        "~étudiantes|campus|u9|u11|u13|u15|u17|u19|aumônerie|maison des jeunes|mjc|"
        "lycéennes|séjour ados|secteur ados",
    ),
    _t(
        "numerique",
        "Numérique",
        "inclusion numérique|logiciel libre|logiciels libres|install party|fablab|"
        "impression 3d|cybersécurité|intelligence artificielle|hackathon|open data|"
        "démarches en ligne|atelier numérique|ateliers numériques|"
        "développeur|développeurs|développeuse|développeuses|développement web|"
        "développement logiciel|développement mobile|python|javascript|typescript|java|"
        "kotlin|golang|php|ruby|django|devops|kubernetes|docker|data science|"
        "science des données|machine learning|apprentissage automatique|deep learning|"
        "open source|c++|c#|dotnet|rust|elixir|erlang|scala|haskell|flutter|svelte|"
        "node.js|postgresql|sql|mlops|pyladies|coding dojo|live coding|game jam|"
        "software craftsmanship|ia générative|cloud|frontend|front-end|backend|back-end|"
        "informatique|conseiller numérique|codeurs|codeuses|mob programming|tdd|git|"
        "linux|microcontrôleur|scratch|devfest|breizhcamp|latex|cnc|fraiseuse numérique|"
        "découpe laser|imprimante 3d|imprimantes 3d|hackerspace|makerspace|modèles de langage|"
        "modèle de langage|llm|chatgpt|modélisation 3d|modèles 3d|découpeuse laser|"
        "découpeuses laser|fer à souder|circuits imprimés|html|html5|css|jsconf|barcamp|"
        "openstreetmap|cartopartie|debian|ubuntu|mastodon|fediverse|auto-hébergement|"
        "webassembly|react|angular",
        "numérique|numériques|informatique|ordinateur|ordinateurs|internet|smartphone|"
        "smartphones|tablette|tablettes|logiciel|logiciels|linux|codage|"
        "robotique|ia|données|wikipédia|réseaux sociaux|électronique|arduino|raspberry|"
        "email|vie privée|web|site web|cyber|tech|algorithmes|api|terraform|"
        "base de données|bases de données|owasp|failles|scrum|agile|kanban|"
        "programmer|coder|applications|application mobile|ux|rgaa|hackers|hacker|makers|blender|"
        "fraiseuse|électroniciens|bidouille|bidouilleurs|"
        "~3d",
    ),
    _t(
        "economie",
        "Économie, ESS et consommation",
        "économie sociale et solidaire|ess|monnaie locale|galléco|création d'entreprise|"
        "entrepreneuriat|consommation responsable|ufc-que choisir|litiges de consommation|"
        "foire exposition|foire-exposition|foire expo|foire commerciale",
        "économie|économique|économiques|entreprise|entreprises|entrepreneurs|commerce|"
        "commerçants|consommation|consommateurs|litiges|litige|coopérative|coopératives|~finance|"
        "~finances|épargne|artisans|artisanat|crowdfunding|microcrédit|"
        "tiers-lieu|business|achats|budget familial|surendettement",
    ),
    _t(
        "patrimoine",
        "Patrimoine et histoire",
        "journées du patrimoine|journées européennes du patrimoine|visite guidée|"
        "visites guidées|généalogie|archéologie|commémoration|patrimoine|culture bretonne|"
        "langue bretonne|gallo|danses bretonnes|danse bretonne",
        "~histoire|historique|historiques|monument|monuments|architecture|archives|"
        "château|chapelle|cathédrale|vieux rennes|patrimonial|"
        "musée de bretagne|siècle|guerre|breton|fest-noz|bretonne|traditionnel|traditionnelle|"
        "traditions|~visite|~visites|colombages|historien|historienne|remparts|"
        "médiéval|médiévale|moyen âge|pans de bois|parlement de bretagne|écomusée|"
        "métiers d'antan|d'autrefois|légendes|breton|gavotte|gavottes",
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
        "famille|familles|~familial|~familiale|parents|parent|bébé|bébés|"
        "grands-parents|naissance|allaitement|~enfants|~enfant|éveil|~goûter|"
        "intergénérationnel|crèche|maternelle|tout-petits|puériculture|famille d'accueil|"
        "accompagnés d'un parent|et leurs parents|en famille",
    ),
    _t(
        "seniors",
        "Seniors",
        "seniors|séniors|personnes âgées|troisième âge|club des aînés|semaine bleue|ehpad",
        "aînés|retraités|retraitée|retraitées|vieillissement|thé dansant|âgées|âgés|"
        "intergénérationnel|maison de retraite|grand âge|préparer sa retraite|"
        "club des retraités|résidents",
    ),
    _t(
        "handicap-inclusion",
        "Handicap et inclusion",
        "situation de handicap|handisport|sport adapté|autisme|trisomie|"
        "personnes handicapées|inclusion des personnes|langue des signes|café signes|café signe",
        "handicap|handicaps|handicapé|handicapés|handicapée|inclusion|inclusif|"
        "inclusive|sourds|malentendants|aveugles|malvoyants|lsf|entendants|"
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
        "marché de producteurs|cours de cuisine|dégustation|cidrerie|"
        "brasserie artisanale|gastronomique|crêpière|galettes de sarrasin|pain au levain|"
        "fête de la pomme|fête des pommes|fête du cidre",
        "alimentation|alimentaire|cuisine|cuisiner|recette|recettes|gastronomie|"
        "bio|agriculture|agricole|paysan|paysanne|paysans|pain|fromage|vin|vins|bière|"
        "bières|brassage|conserves|cantine|banquet|légumes|fruits|nourriture|"
        "producteurs|saveurs|culinaire|épices|végétarien|vegan|cidre|pommes|pressoir|pressage|"
        "jus de pomme|vendanges|miel",
    ),
    _t(
        "emploi-insertion",
        "Emploi et insertion",
        "job dating|forum de l'emploi|forum emploi|recherche d'emploi|demandeurs d'emploi|"
        "entretien d'embauche|insertion professionnelle|mission locale|france travail|"
        "pôle emploi|jobs d'été|job d'été|reconversion professionnelle|"
        "entreprise d'insertion|entreprises d'insertion|lettre de motivation|"
        "lettres de motivation|forum emploi|assistants familiaux",
        "emploi|emplois|insertion|chômage|cv|recrutement|recrute|reconversion|métier|"
        "métiers|alternance|embauche|candidature|candidatures|"
        "salariés|chantier d'insertion",
    ),
    _t(
        "spiritualite",
        "Spiritualité et religions",
        "spiritualité|méditation bouddhiste|prière|messe|célébration œcuménique|"
        "pèlerinage|ramadan|iftar|adoration|eucharistie|eucharistique|évangile|catéchisme|"
        "aumônerie|vêpres|chapelet|rosaire|chemin de croix|veillée de prière|retraite spirituelle|"
        "récollection|servants d'autel|parcours alpha|préparation au baptême|"
        "préparation au mariage|encyclique|taizé|première communion|musique sacrée|chants sacrés",
        "spirituel|spirituelle|religion|religions|religieux|religieuse|bouddhisme|"
        "bouddhiste|islam|musulman|musulmans|mosquée|synagogue|chrétien|chrétiens|"
        "catholique|protestant|~église|paroisse|bible|coran|méditation|zen|"
        "interreligieux|foi|paroissial|paroissiale|paroissiens|biblique|diocèse|diocésain|"
        "diocésaine|évêque|prêtre|curé|pasteur|imam|rabbin|théologien|pape|dieu|carême|"
        "sacrement|messe|chrétienne|chrétiennes|œcuménique|jeûne|religieuses|cisterciens|"
        "monastère|sacré|sacrés|sacrée|confession|aumônier",
    ),
    _t(
        "vie-associative",
        "Vie associative et bénévolat",
        "forum des associations|nouveaux arrivants|assemblée générale|fête des associations|"
        "appel à bénévoles|formation des bénévoles|vie associative",
        "bénévolat|asso|nouveaux adhérents|bénévoles|~associatif|~associative|ag|"
        "rentrée des associations|comité directeur|conseil d'administration|"
        "nouveaux habitants|rapport moral|renouvellement du bureau|élection du bureau",
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


#: Strength of a lexicon term. ``CONTEXT``: a word of :data:`shared.theme_words.SENSES`,
#: evidence for a theme only when the rest of the event supports that theme.
STRONG, NORMAL, WEAK, CONTEXT = 2, 1, 0, -1


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    theme: str
    term: str  # as written, for reasons
    key: tuple[str, ...]  # its stems (shared.theme_words.theme_stems)
    strength: int  # STRONG, NORMAL, WEAK or CONTEXT


def _entries() -> tuple[LexiconEntry, ...]:
    out: list[LexiconEntry] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()

    def add(theme: str, term: str, strength: int) -> None:
        keys = [tuple(theme_stems(term))]
        if " " in term or "-" in term:  # "marché de noël" is also found written without accents
            keys.append(tuple(theme_stems(fold(term))))
        for key in dict.fromkeys(keys):
            if key and (theme, key) not in seen:  # "concert"/"concerts": one entry
                seen.add((theme, key))
                out.append(LexiconEntry(theme, term, key, strength))

    for theme in THEMES:
        for default, terms in ((STRONG, theme.strong), (NORMAL, theme.terms)):
            for raw in terms:
                add(theme.code, raw.lstrip("~"), WEAK if raw.startswith("~") else default)
    for words, senses in SENSES.items():
        for word in words.split("|"):
            for code in senses:
                if code != "*":
                    add(code, word, CONTEXT)
    return tuple(out)


#: every lexicon term, stemmed, in taxonomy order.
LEXICON: tuple[LexiconEntry, ...] = _entries()


def _cues() -> tuple[dict[tuple[str, str], frozenset[str]], dict[str, str]]:
    cues: dict[tuple[str, str], frozenset[str]] = {}
    defaults: dict[str, str] = {}
    for words, senses in SENSES.items():
        for word in words.split("|"):
            (stem,) = theme_stems(word)
            for code, raw in senses.items():
                if code == "*":
                    defaults[stem] = raw
                else:
                    cue_stems = (s for cue in raw.split("|") for s in theme_stems(cue))
                    cues[(code, stem)] = frozenset(cue_stems)
    return cues, defaults


_CUES, _DEFAULTS = _cues()
#: (theme, stem of a context word) -> stems of the words that select that sense.
SENSE_CUES: MappingProxyType[tuple[str, str], frozenset[str]] = MappingProxyType(_CUES)
#: stem of a context word -> its theme in a title that gives no other clue.
SENSE_DEFAULTS: MappingProxyType[str, str] = MappingProxyType(_DEFAULTS)
