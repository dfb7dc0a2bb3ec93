"""The demo data set as plain values: companies, people and 30 days of what they did.

Pure and deterministic: the same `seed` gives the same accounts, leads and events (event
times are offsets back from the `now` given, so only the absolute times move). Nothing here
touches the database; `demo.services` stores it through the ingestion services.

The shape a marketer would recognise: most leads barely engage, some read and open emails,
a few register for and attend webinars, and a handful compare pricing and ask for a demo in
the last days. Three leads are crawled by a bot (bursts of page views seconds apart), which
the seeded inorganic filter suppresses.
"""

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

DEFAULT_SEED = 20261203
LEAD_COUNT = 300
HISTORY_DAYS = 30
BOT_LEADS = 3
BOT_BURST_VIEWS = 25
# Of the leads, the share that works at one of the accounts; the others at small companies.
ACCOUNT_SHARE = 0.75

_ACCOUNTS = (
    ("Northwind Traders", "northwind.example", "Retail", 1200, "US"),
    ("Contoso Pharmaceuticals", "contoso.example", "Healthcare", 5400, "US"),
    ("Fabrikam Robotics", "fabrikam.example", "Manufacturing", 860, "DE"),
    ("Tailspin Toys", "tailspin.example", "Retail", 140, "GB"),
    ("Wide World Importers", "wideworld.example", "Logistics", 2300, "NL"),
    ("Adventure Works Cycles", "adventureworks.example", "Manufacturing", 410, "US"),
    ("Litware Analytics", "litware.example", "Software", 320, "US"),
    ("Proseware Cloud", "proseware.example", "Software", 1750, "IE"),
    ("Lucerne Publishing", "lucerne.example", "Media", 95, "CH"),
    ("Woodgrove Bank", "woodgrove.example", "Financial Services", 9800, "US"),
    ("Alpine Ski House", "alpineski.example", "Hospitality", 60, "AT"),
    ("Coho Winery", "cohowinery.example", "Food & Beverage", 45, "FR"),
    ("Trey Research", "treyresearch.example", "Software", 230, "CA"),
    ("Blue Yonder Airlines", "blueyonder.example", "Travel", 3100, "US"),
    ("Humongous Insurance", "humongous.example", "Financial Services", 6700, "GB"),
)
_SMALL_COMPANIES = (
    ("Brightline Studio", "Media", 12, "US"),
    ("Kestrel Labs", "Software", 28, "US"),
    ("Orchard & Vine", "Food & Beverage", 18, "FR"),
    ("Pinecrest Dental", "Healthcare", 9, "CA"),
    ("Quarry Logistics", "Logistics", 55, "DE"),
    ("Sable Consulting", "Consulting", 7, "GB"),
    ("Tidewater Marine", "Travel", 33, "AU"),
    ("Uplift Fitness", "Hospitality", 22, "US"),
)
# Company name: (industry, employees, country), what a form fill tells about it.
_FIRMOGRAPHICS = {
    **{name: (industry, size, cc) for name, _, industry, size, cc in _ACCOUNTS},
    **{name: (industry, size, cc) for name, industry, size, cc in _SMALL_COMPANIES},
}
_FIRST_NAMES = (
    "Amelia", "Noah", "Olivia", "Liam", "Emma", "Mateo", "Ava", "Lucas", "Sofia", "Ethan",
    "Mia", "Hiro", "Isabella", "Arjun", "Chloe", "Kwame", "Grace", "Diego", "Hannah", "Omar",
    "Lena", "Felix", "Priya", "Jonas", "Zara", "Mei", "Samuel", "Ines", "Tomás", "Aisha",
    "Nora", "Ravi", "Elena", "Kai", "Freya", "Yusuf", "Clara", "Marco", "Leila", "Owen",
)  # fmt: skip
_LAST_NAMES = (
    "Hart", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Fischer", "Patel",
    "Reyes", "Kowalski", "Nguyen", "Brennan", "Haddad", "Sato", "Johansson", "Costa", "Weber",
    "Ibrahim", "Walsh", "Kim", "Rossi", "Mendes", "Larsen", "Chen", "Dubois", "Mensah",
    "Schmidt", "Varga", "Ortiz", "Byrne", "Yilmaz", "Khan", "Park", "Ferreira", "Adeyemi",
)  # fmt: skip
_TITLES = (
    ("VP of Marketing", 6), ("Director of Demand Generation", 8), ("Head of Growth", 6),
    ("Marketing Manager", 18), ("Marketing Operations Manager", 12), ("Content Strategist", 10),
    ("Sales Development Representative", 12), ("Account Executive", 10), ("CMO", 3),
    ("Revenue Operations Analyst", 8), ("Product Marketing Manager", 9), ("Marketing Intern", 4),
)  # fmt: skip
_PAGES = ("/", "/features", "/integrations", "/customers", "/about", "/docs/getting-started")
_BLOG_POSTS = (
    "/blog/lead-scoring-101", "/blog/intent-signals", "/blog/abm-playbook",
    "/blog/decay-explained", "/blog/webinar-funnels",
)  # fmt: skip
_CASE_STUDIES = ("/customers/litware", "/customers/proseware", "/customers/woodgrove")
_CONTENT = ("State of B2B Engagement 2026 (report)", "Lead scoring template (xlsx)")
_CAMPAIGNS = ("November newsletter", "Product update: surge scoring", "Webinar invite")
_WEBINARS = ("Scoring that sales trusts", "From MQL to pipeline in 30 days")
_UTM_SOURCES = ("google", "linkedin", "newsletter", "direct", "g2")

# Personas: (share of leads, events per lead (min, max), the event types they do, weighted,
# and how recent their activity is: 1.0 spreads it over 30 days, 0.3 over the last 9).
_PERSONAS: tuple[tuple[str, float, tuple[int, int], tuple[tuple[str, int], ...], float], ...] = (
    ("dormant", 0.40, (1, 3), (("page_view", 5), ("email_open", 4), ("blog_post_read", 1)), 1.0),
    (
        "curious", 0.30, (4, 12),
        (("page_view", 6), ("blog_post_read", 4), ("email_open", 5), ("email_click", 2),
         ("case_study_view", 1), ("email_unsubscribe", 1)),
        1.0,
    ),
    (
        "engaged", 0.20, (10, 24),
        (("page_view", 6), ("blog_post_read", 3), ("email_open", 4), ("email_click", 3),
         ("webinar_registered", 2), ("webinar_attended", 2), ("content_download", 2),
         ("case_study_view", 2), ("form_submitted", 1), ("pricing_page_view", 1)),
        0.7,
    ),
    (
        "buying", 0.10, (18, 36),
        (("page_view", 5), ("pricing_page_view", 5), ("case_study_view", 3), ("email_click", 3),
         ("webinar_attended", 2), ("form_submitted", 2), ("demo_requested", 2),
         ("free_trial_started", 1), ("product_login", 4), ("contact_sales", 1)),
        0.3,
    ),
)  # fmt: skip
# Every event type the data set uses (15).
EVENT_TYPES = (
    "page_view", "pricing_page_view", "blog_post_read", "case_study_view", "content_download",
    "form_submitted", "demo_requested", "free_trial_started", "product_login", "contact_sales",
    "email_open", "email_click", "email_unsubscribe", "webinar_registered", "webinar_attended",
)  # fmt: skip


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    name: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class DemoLead:
    lead_id: str
    email: str
    crm_id: str
    # The account's `account_id`, or None for a lead of a small company without one.
    account_id: str | None
    metadata: dict[str, Any]
    persona: str


@dataclass(frozen=True)
class DemoEvent:
    lead_id: str
    event_type: str
    ago: datetime.timedelta
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoDataset:
    accounts: list[DemoAccount]
    leads: list[DemoLead]
    # In time order, oldest first (the order they are stored in, so scoring only appends).
    events: list[DemoEvent]


def demo_dataset(*, seed: int = DEFAULT_SEED) -> DemoDataset:
    rng = random.Random(seed)  # noqa: S311 - sample data, reproducible by design
    accounts = [
        DemoAccount(
            account_id=f"acc_{domain.split('.')[0]}",
            name=name,
            metadata={"domain": domain, "industry": industry, "employees": size, "country": cc},
        )
        for name, domain, industry, size, cc in _ACCOUNTS
    ]
    leads = _leads(rng, accounts)
    events = [event for lead in leads for event in _lead_events(rng, lead)]
    for lead in rng.sample(leads, BOT_LEADS):
        events.extend(_bot_burst(rng, lead))
    events.sort(key=lambda event: event.ago, reverse=True)
    return DemoDataset(accounts=accounts, leads=leads, events=events)


def _leads(rng: random.Random, accounts: list[DemoAccount]) -> list[DemoLead]:
    titles, title_weights = zip(*_TITLES, strict=True)
    used_emails: set[str] = set()
    leads = []
    for number in range(1, LEAD_COUNT + 1):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        account = rng.choice(accounts) if rng.random() < ACCOUNT_SHARE else None
        if account is not None:
            company, domain = account.name, account.metadata["domain"]
        else:
            company = rng.choice(_SMALL_COMPANIES)[0]
            domain = company.lower().replace(" & ", "").replace(" ", "") + ".example"
        email = _unique_email(f"{first}.{last}".lower(), domain, used_emails)
        leads.append(
            DemoLead(
                lead_id=f"demo-{number:03d}",
                email=email,
                crm_id=f"crm-{100000 + number * 7}",
                account_id=account.account_id if account else None,
                metadata={
                    "first_name": first,
                    "last_name": last,
                    "name": f"{first} {last}",
                    "email": email,
                    "company": company,
                    "title": rng.choices(titles, weights=title_weights)[0],
                },
                persona=_persona_of(rng)[0],
            )
        )
    return leads


def _unique_email(local: str, domain: str, used: set[str]) -> str:
    local = local.replace("á", "a").replace("í", "i")
    candidate, suffix = f"{local}@{domain}", 2
    while candidate in used:
        candidate, suffix = f"{local}{suffix}@{domain}", suffix + 1
    used.add(candidate)
    return candidate


def _persona_of(
    rng: random.Random,
) -> tuple[str, float, tuple[int, int], tuple[tuple[str, int], ...], float]:
    draw = rng.random()
    for persona in _PERSONAS:
        draw -= persona[1]
        if draw < 0:
            return persona
    return _PERSONAS[0]


def _lead_events(rng: random.Random, lead: DemoLead) -> list[DemoEvent]:
    persona = next(p for p in _PERSONAS if p[0] == lead.persona)
    _, _, (low, high), weighted_types, recency = persona
    types, weights = zip(*weighted_types, strict=True)
    span = HISTORY_DAYS * 86400 * recency
    events = []
    for event_type in rng.choices(types, weights=weights, k=rng.randint(low, high)):
        ago = datetime.timedelta(seconds=rng.uniform(600, span))
        events.append(DemoEvent(lead.lead_id, event_type, ago, _metadata(rng, event_type, lead)))
    return events


def _metadata(rng: random.Random, event_type: str, lead: DemoLead) -> dict[str, Any]:
    if event_type == "page_view":
        return {"path": rng.choice(_PAGES), "utm_source": rng.choice(_UTM_SOURCES)}
    if event_type == "pricing_page_view":
        return {"path": "/pricing", "plan_viewed": rng.choice(("Team", "Business", "Enterprise"))}
    if event_type == "blog_post_read":
        return {"path": rng.choice(_BLOG_POSTS), "read_seconds": rng.randint(20, 400)}
    if event_type == "case_study_view":
        return {"path": rng.choice(_CASE_STUDIES)}
    if event_type == "content_download":
        return {"asset": rng.choice(_CONTENT)}
    if event_type in ("form_submitted", "demo_requested", "contact_sales"):
        industry, size, country = _FIRMOGRAPHICS[lead.metadata["company"]]
        return {
            "form": {"form_submitted": "Newsletter", "demo_requested": "Book a demo"}.get(
                event_type, "Talk to sales"
            ),
            "job_title": lead.metadata["title"],
            "industry": industry,
            "company_size": size,
            "country": country,
        }
    if event_type in ("free_trial_started", "product_login"):
        return {"plan": "Trial", "workspace": lead.metadata["company"]}
    if event_type.startswith("email_"):
        return {"campaign": rng.choice(_CAMPAIGNS)}
    if event_type.startswith("webinar_"):
        return {"webinar": rng.choice(_WEBINARS)}
    return {}


def _bot_burst(rng: random.Random, lead: DemoLead) -> list[DemoEvent]:
    """Page views 1-3 seconds apart, as a crawler following every link."""
    start = datetime.timedelta(days=rng.uniform(1, HISTORY_DAYS - 1))
    return [
        DemoEvent(
            lead.lead_id,
            "page_view",
            start - datetime.timedelta(seconds=2 * step + rng.random()),
            {"path": rng.choice(_PAGES + _BLOG_POSTS), "user_agent": "crawler/2.1"},
        )
        for step in range(BOT_BURST_VIEWS)
    ]
