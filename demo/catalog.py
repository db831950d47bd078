"""The demo's fictional Rennes associations and their events, at real Rennes venues.

Dates are offsets from today (``day``, in days) and local times, so the demo is never stale.
One event (the end-of-year solidarity concert) is published by two associations, as happens
in real life, so the index must show it once with both sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoEvent:
    uid: str
    title: str
    day: int
    start: str | None  # "HH:MM", or None for an all-day event
    minutes: int
    venue: str
    address: str
    description: str
    categories: tuple[str, ...] = ()
    weekly_count: int = 0  # > 0: a weekly recurring event with this many occurrences
    cancelled: bool = False
    url: str | None = None
    free: bool | None = None
    lat: float | None = None
    lon: float | None = None
    organizer: str | None = None  # as the feed writes it, when not the association's name


@dataclass(frozen=True)
class Association:
    id: str
    name: str
    format: str  # ics, rss or html
    path: str
    events: tuple[DemoEvent, ...] = field(default_factory=tuple)
    themes: tuple[str, ...] = ()  # the association's declared RNA theme codes
    purpose: str = ""
    quartiers: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()  # declared, codes of shared.vocab.TOOLS
    address: tuple[str, str, str] = ("", "", "")  # street, postcode, city


CONCERT = dict(
    title="Concert solidaire de fin d'année",
    day=14,
    start="20:00",
    minutes=120,
    venue="Le Triangle",
    address="1 boulevard de Yougoslavie, 35200 Rennes",
)

ASSOCIATIONS: tuple[Association, ...] = (
    Association(
        id="velo-solidaire",
        purpose=(
            "Atelier participatif d’autoréparation de vélos, bourse aux vélos et balades pour"
            " apprendre à circuler à vélo en ville."
        ),
        quartiers=("Centre", "Thabor - Saint-Hélier - Alphonse Guérin - Baud-Chardonnet"),
        tools=("google-agenda", "helloasso", "lettre-information", "nextcloud"),
        address=("6 cours des Alliés", "35000", "Rennes"),
        themes=("011000",),
        name="Roazhon Vélo Solidaire",
        format="ics",
        path="velo-solidaire/agenda.ics",
        events=(
            DemoEvent(
                uid="atelier-autoreparation@velo-solidaire.demo",
                title="Atelier d'autoréparation vélo",
                day=1,
                start="14:00",
                minutes=180,
                venue="Maison des Associations",
                address="6 cours des Alliés, 35000 Rennes",
                description="Venez réparer votre vélo avec l'aide des bénévoles : outils, "
                "pièces d'occasion et conseils. Entrée libre, adhésion à prix libre.",
                categories=("Vélo", "Atelier", "Réparation"),
                weekly_count=10,
                free=True,
            ),
            DemoEvent(
                uid="balade-parcs@velo-solidaire.demo",
                title="Balade à vélo : les parcs de Rennes",
                day=9,
                start="10:00",
                minutes=150,
                venue="Parc des Gayeulles",
                address="avenue des Gayeulles, 35700 Rennes",
                description="Une balade tranquille de 15 km entre les parcs rennais, "
                "ouverte à toutes et tous. Prêt de vélos possible sur réservation.",
                categories=("Vélo", "Balade", "Sport"),
                free=True,
            ),
            DemoEvent(
                uid="bourse-velos@velo-solidaire.demo",
                title="Bourse aux vélos d'occasion",
                day=16,
                start=None,
                minutes=24 * 60,
                venue="Place des Lices",
                address="Place du Haut des Lices, 35000 Rennes",
                description="Achetez ou vendez un vélo d'occasion, contrôlé par nos mécaniciens.",
                categories=("Vélo", "Économie circulaire"),
                organizer="Roazhon Vélo Solidaire / Repair Café Villejean",
            ),
        ),
    ),
    Association(
        id="jardins-blosne",
        purpose=(
            "Jardins partagés au pied des immeubles du Blosne\xa0: cultiver ensemble, composter,"
            " échanger graines et savoirs."
        ),
        quartiers=("Le Blosne",),
        tools=("site-agenda", "facebook", "tableur"),
        address=("7 boulevard de Yougoslavie", "35200", "Rennes"),
        themes=("024000",),
        name="Les Jardins Partagés du Blosne",
        format="rss",
        path="jardins-blosne/feed.rss",
        events=(
            DemoEvent(
                uid="chantier-participatif",
                title="Chantier participatif au jardin",
                day=3,
                start="09:30",
                minutes=180,
                venue="Parc des Hautes-Ourmes",
                address="Parc des Hautes-Ourmes, 35200 Rennes",
                description="Désherbage, paillage et plantations d'hiver. Gants fournis, "
                "café offert. Accessible aux personnes en fauteuil roulant.",
                categories=("Jardinage", "Environnement"),
                free=True,
            ),
            DemoEvent(
                uid="troc-graines",
                title="Troc de graines et de plants",
                day=12,
                start="14:00",
                minutes=180,
                venue="Espace social Ty-Blosne",
                address="7 boulevard de Yougoslavie, 35200 Rennes",
                description="Apportez vos graines, boutures et plants, repartez avec ceux des "
                "voisins. Gratuit.",
                categories=("Jardinage", "Environnement", "Troc"),
                free=True,
            ),
            DemoEvent(
                uid="atelier-compost",
                title="Atelier compost en pied d'immeuble",
                day=20,
                start="18:00",
                minutes=90,
                venue="Polyblosne",
                address="boulevard de Yougoslavie, 35200 Rennes",
                description="Apprendre à composter ses déchets de cuisine en habitat collectif.",
                categories=("Environnement", "Déchets"),
                organizer="Jardins du Blosne",  # written short: an operator confirms the link
            ),
        ),
    ),
    Association(
        id="choeur-arc-en-ciel",
        purpose=(
            "Chœur amateur ouvert à toutes et tous, répertoire du monde, concerts solidaires."
        ),
        quartiers=("Centre",),
        tools=("google-agenda", "helloasso", "google-drive"),
        address=("", "35000", "Rennes"),
        themes=("006000",),
        name="Chœur Arc-en-Ciel de Rennes",
        format="ics",
        path="choeur-arc-en-ciel/concerts.ics",
        events=(
            DemoEvent(
                uid="concert-solidaire@choeur-arc-en-ciel.demo",
                description="Notre grand concert de fin d'année, au profit des Restos du Cœur. "
                "Chants du monde et chants de Noël. Participation libre.",
                categories=("Concert", "Musique", "Solidarité"),
                **CONCERT,  # type: ignore[arg-type]
            ),
            DemoEvent(
                uid="repetition-ouverte@choeur-arc-en-ciel.demo",
                title="Répétition ouverte : venez chanter avec nous",
                day=6,
                start="19:00",
                minutes=120,
                venue="Chapelle Saint-Yves",
                address="11 rue Saint-Yves, 35000 Rennes",
                description="Vous aimez chanter ? Rejoignez une répétition, sans audition.",
                categories=("Musique", "Chant"),
                free=True,
            ),
            DemoEvent(
                uid="chorale-thabor@choeur-arc-en-ciel.demo",
                title="Chorale au kiosque du Thabor",
                day=8,
                start="15:00",
                minutes=60,
                venue="Parc du Thabor",
                address="place Saint-Melaine, 35000 Rennes",
                description="Annulé en raison de la météo.",
                categories=("Musique",),
                cancelled=True,
            ),
        ),
    ),
    Association(
        id="acces-culture",
        purpose=(
            "Rendre les sorties culturelles accessibles aux personnes en situation de "
            "handicap\xa0: LSF, audiodescription, visites tactiles."
        ),
        quartiers=("Centre", "Maurepas - Bellangerais"),
        tools=("site-agenda", "mastodon", "paheko"),
        address=("", "35000", "Rennes"),
        themes=("006000",),
        name="Collectif Accès Culture Rennes",
        format="rss",
        path="acces-culture/agenda.xml",
        events=(
            DemoEvent(
                uid="concert-solidaire-lsf",
                description="Le concert solidaire du Chœur Arc-en-Ciel, interprété en langue "
                "des signes française (LSF), avec boucle magnétique.",
                categories=("Concert", "Accessibilité"),
                **CONCERT,  # type: ignore[arg-type]
            ),
            DemoEvent(
                uid="visite-tactile",
                title="Visite tactile et audiodécrite des collections",
                day=8,
                start="14:30",
                minutes=90,
                venue="Musée des beaux-arts de Rennes",
                address="20 quai Émile Zola, 35000 Rennes",
                description="Une visite pour les personnes aveugles et malvoyantes, avec "
                "audiodescription et objets à toucher.",
                categories=("Musée", "Accessibilité", "Patrimoine"),
            ),
            DemoEvent(
                uid="cine-debat",
                title="Ciné-débat sous-titré : habiter la ville",
                day=18,
                start="20:30",
                minutes=150,
                venue="Les Champs Libres",
                address="10 cours des Alliés, 35000 Rennes",
                description="Projection en version sous-titrée pour les sourds et malentendants "
                "(SME), suivie d'un débat sur l'urbanisme et le logement.",
                categories=("Cinéma", "Débat"),
                free=True,
            ),
        ),
    ),
    Association(
        id="repair-cafe-villejean",
        purpose=(
            "Réparer ensemble petits appareils, vêtements et vélos plutôt que jeter."
        ),
        quartiers=("Villejean - Beauregard",),
        tools=("wordpress-agenda", "framasoft", "liste-diffusion"),
        address=("", "35000", "Rennes"),
        themes=("024000",),
        name="Repair Café Villejean",
        format="html",
        path="repair-cafe-villejean/index.html",
        events=(
            DemoEvent(
                uid="repair-cafe-1",
                title="Repair Café : on répare ensemble",
                day=5,
                start="14:00",
                minutes=180,
                venue="Maison de quartier de Villejean",
                address="2 rue de Bourgogne, 35000 Rennes",
                description="Petit électroménager, vêtements, ordinateurs : apportez vos objets "
                "en panne, nos bénévoles vous aident à les réparer. Gratuit.",
                categories=("Réparation", "Économie circulaire"),
                free=True,
                lat=48.118304,
                lon=-1.707102,
            ),
            DemoEvent(
                uid="repair-cafe-2",
                title="Repair Café spécial numérique",
                day=19,
                start="14:00",
                minutes=180,
                venue="Maison de quartier de Villejean",
                address="2 rue de Bourgogne, 35000 Rennes",
                description="Smartphones et ordinateurs : diagnostic, nettoyage, installation "
                "de logiciels libres. Atelier numérique gratuit.",
                categories=("Numérique", "Réparation"),
                free=True,
                lat=48.118304,
                lon=-1.707102,
            ),
        ),
    ),
)

#: A calendar the demo serves but does not harvest: the one a newcomer adds themself from the
#: page of Roazhon Vélo Solidaire ("Les sources de l'agenda"), to try associations' own
#: sources on ``make run`` (http://127.0.0.1:8090/velo-solidaire/velo-ecole.ics).
OWN_CALENDAR = Association(
    id="velo-solidaire",
    name="Roazhon Vélo Solidaire",
    format="ics",
    path="velo-solidaire/velo-ecole.ics",
    events=(
        DemoEvent(
            uid="velo-ecole@velo-solidaire.demo",
            title="Vélo-école pour adultes",
            day=3,
            start="10:00",
            minutes=120,
            venue="Esplanade Charles de Gaulle",
            address="Esplanade Charles de Gaulle, 35000 Rennes",
            description="Apprendre à rouler en ville, en petit groupe, vélos prêtés.",
            categories=("Vélo", "Apprentissage"),
            weekly_count=6,
        ),
        DemoEvent(
            uid="velo-ecole-enfants@velo-solidaire.demo",
            title="Vélo-école des enfants",
            day=6,
            start="14:30",
            minutes=90,
            venue="Parc de Bréquigny",
            address="Boulevard Albert 1er, 35200 Rennes",
            description="Premiers tours de roue sans petites roues, casques fournis.",
            categories=("Vélo", "Enfants"),
        ),
    ),
)
