"""Writes the methodology YAML files from compact data: `python -m dma_publish.methodology_source`.

The full official DMA question set is not public, so the questions and scoring elements here are
illustrative: each scoring domain's content (what is planned, which measures can be in place, what
share of services is covered) is written once below and expanded into questions and elements by a
few templates, so that every domain reads differently but follows one scoring pattern. The
structure (pillars, domains per care setting, non-scoring domains, Digital Medicines' three
scores, the ICB domain list) and the level descriptions follow NHS England's published maturity
matrix. Comparability with the previous year is derived by comparing the two generated years, so
it can never disagree with the files; only the reasons are written here.

The YAML files in `data/methodology/` are committed data; a test checks they equal this output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

YEARS = (2024, 2025)
OUTPUT_DIR = Path("data") / "methodology"  # of the project folder it runs in
ATTRIBUTION = "NHS England, DMA maturity matrix, Open Government Licence v3.0"
NOTES = (
    "Question wording, answer options and scoring elements in this file are illustrative. They "
    "follow the structure of the NHS England Digital Maturity Assessment (pillars, domains, care "
    "settings, levels 1 to 5, non-scoring domains and Digital Medicines' three scores), but the "
    "full official question set is not public. The level descriptions are adapted from the DMA "
    "maturity matrix."
)

ACUTE, MENTAL_HEALTH, COMMUNITY, AMBULANCE, ICB = (
    "acute",
    "mental_health",
    "community",
    "ambulance",
    "icb",
)
ALL_SC = (ACUTE, MENTAL_HEALTH, COMMUNITY, AMBULANCE)
AMC = (ACUTE, MENTAL_HEALTH, COMMUNITY)
AM = (ACUTE, MENTAL_HEALTH)
AC = (ACUTE, COMMUNITY)

CARE_SETTINGS = (
    (ACUTE, "Acute", "secondary_care"),
    (MENTAL_HEALTH, "Mental health", "secondary_care"),
    (COMMUNITY, "Community", "secondary_care"),
    (AMBULANCE, "Ambulance", "secondary_care"),
    (ICB, "Integrated care board", "icb"),
)

WELL_LED, FOUNDATIONS, SAFE, WORKFORCE, PEOPLE, CARE, POPULATIONS = (
    "well_led",
    "ensure_smart_foundations",
    "safe_practice",
    "support_workforce",
    "empower_people",
    "improve_care",
    "healthy_populations",
)
PILLARS = (
    (WELL_LED, "Well Led", None),
    (FOUNDATIONS, "Ensure Smart Foundations", None),
    (SAFE, "Safe Practice", None),
    (WORKFORCE, "Support Workforce", "Support people"),
    (PEOPLE, "Empower People", "Empower citizens"),
    (CARE, "Improve Care", None),
    (POPULATIONS, "Healthy Populations", None),
)

# Level 1 to 5 per pillar, adapted from the maturity matrix (attributed in every file).
LEVEL_DESCRIPTIONS = {
    "secondary_care": {
        WELL_LED: (
            "The organisation lacks the digital strategy, processes and leadership to support digital initiatives.",
            "Digital strategies and governance are in progress, but work is needed to establish them formally.",
            "Digital strategies and governance are in place but not well embedded or agreed across the organisation, and relevant detail is lacking.",
            "Digital strategies and governance are detailed and fully established, but implementation needs to improve to guide priorities.",
            "The organisation has a clear, funded, long-term digital strategy with user input, agreed targets and board approval. Governance is robust and digital initiatives are well managed.",
        ),
        FOUNDATIONS: (
            "Digital infrastructure is inefficient and unsustainable, with little or no interoperability across clinical systems and increased risk to the organisation.",
            "Some resilient data centres are used, but there are gaps in integrating key clinical systems. Core infrastructure is not digitally mature and introduces risk.",
            "Standard approaches to infrastructure and data models are in place but applied only to some clinical systems; integration still needs progress.",
            "Most clinical systems are integrated, with widespread use of interoperability standards. Core infrastructure is stable but not fully optimised.",
            "All key clinical systems and data are integrated across every stage of care. Core infrastructure (such as Wi-Fi, cyber security and devices) is secure and reliable.",
        ),
        SAFE: (
            "The organisation lacks the standards, governance and infrastructure needed for robust safe practice.",
            "Programmes for governance and infrastructure are in progress, but alignment and implementation vary across the organisation.",
            "Security standards are well defined, but carrying out the processes still depends on individuals.",
            "Security and infrastructure standards are aligned with NHS best practice, and processes are measured and monitored across the system.",
            "Security functions are fully resourced; best practice in data and information governance is applied across all IT systems, with reliable responses to unexpected events.",
        ),
        WORKFORCE: (
            "Staff struggle with digital skills and tools, and the organisation finds operational efficiency hard to achieve. Supply chain management is highly manual.",
            "Some staff have basic digital skills, but capability and capacity challenges remain.",
            "Staff are supported to develop basic digital skills, with plans to close capacity gaps. Demand modelling is used to improve efficiency.",
            "Staff are confident in their digital skills, and demand and capacity are measured across the organisation. Most of the supply chain is automated.",
            "Staff are highly adept with digital technology, and data from outside the organisation feeds complex demand forecasting. All supply chain processes are automated.",
        ),
        PEOPLE: (
            "Access to services is not enabled or streamlined by digital. Patients have no dedicated tools or communications, and no access to their own data.",
            "Citizens have some access to applications, but these are not personalised and are not integrated across services.",
            "Some online channels to access services are available, but delivery is duplicated. Patient data has gaps and limited personalisation.",
            "Citizens have streamlined access to applications with some integration, personalised content and regularly updated information.",
            "Digital channels to access care are fully integrated across systems and services, with personalised content that lets citizens manage their care and view their own data.",
        ),
        CARE: (
            "There are key gaps in the data and records shared across the ICS. Care outside hospital is rarely offered, and care coordination has gaps.",
            "Some data is connected to the shared care record. Care is coordinated in silos, not all priority pathways are covered, and care outside hospital is lacking.",
            "Some data is shared with ICS partners and care is coordinated for high-priority pathways. Some AI tools are used on an ad hoc basis.",
            "Most records are integrated across services, with remote care offered for most relevant pathways. AI is used in places, with appropriate risk management.",
            "Care is coordinated centrally, with data shared across the ICS. Care outside hospital reduces demand on the health service, and AI is well embedded across the organisation.",
        ),
        POPULATIONS: (
            "There are no data management teams or data warehouses to support interventions, population health or innovation.",
            "Some data warehousing exists, but data collection is manual and use cases are applied ad hoc.",
            "Well-defined data warehouses are fed by mostly automated collections, and simple models or tools support advanced use cases.",
            "An established single data repository holds refined data that enables more complex innovation and the monitoring of initiatives.",
            "An enriched data architecture and dedicated teams have real-time data feeds, and innovation hubs run sophisticated health planning across internal and external data.",
        ),
    },
    "icb": {
        WELL_LED: (
            "The ICB lacks the digital strategy, processes and leadership to support digital initiatives.",
            "Digital strategies and governance are in progress, but work is needed to establish them formally.",
            "Digital and data strategies and governance are in place, with a delivery plan for at least this financial year.",
            "Digital and data strategies and governance are in place and well embedded, with comprehensive management of the pipeline of initiatives.",
            "An integrated digital and data strategy has delivery plans covering several years. Governance spans the organisation and links to ICS processes, and decisions are driven by real-time data.",
        ),
        FOUNDATIONS: (
            "Digital infrastructure is inefficient, network capability is limited, and hardware standards and IT operations vary.",
            "Cloud migration plans are in place. Network capability is available but constrained for some users, and basic IT operation processes are established.",
            "Network capability is available without constraints, though it could improve for some users. IT operations are documented and standardised.",
            "Cloud resources are monitored for performance, and the move away from PSTN and ISDN services is complete.",
            "Cloud resources are actively optimised, Wi-Fi coverage is very good including for visiting workers, and IT operations focus on continuous improvement.",
        ),
        SAFE: (
            "Internal data systems are not aligned with the NHS Data Dictionary.",
            "Internal systems are partly aligned with the NHS Data Dictionary, with known inconsistencies.",
            "Data is consistently structured, formatted and quality-assured, in line with national policy and privacy management.",
            "Definitions in internal systems are highly aligned with the NHS Data Dictionary, with very few discrepancies.",
            "Internal data definitions are fully aligned with the NHS Data Dictionary, and a process identifies changes to the dictionary and updates internal systems.",
        ),
        WORKFORCE: (
            "Staff struggle with digital skills and tools, and the organisation finds operational efficiency hard to achieve.",
            "Some staff have basic digital skills, but capability and capacity challenges remain.",
            "All staff are supported to develop basic digital skills, with plans to close capacity gaps.",
            "Staff are confident in their digital skills, with achievable plans for the continuous development of the DDaT workforce.",
            "Staff are highly adept with digital technology, and workforce development is monitored at system level to support continuous improvement.",
        ),
        PEOPLE: (
            "Access to services is not enabled or streamlined by digital. Patients have no dedicated tools or communications, and no access to their own data.",
            "Citizens have some access to applications, but integration between services and coverage of systems varies.",
            "A digital inclusion strategy exists or is being developed, and more ICS-wide public-facing services are co-designed.",
            "All available NHS App features for primary and secondary care are enabled, and most appointments can be managed through digital channels.",
            "Digital inclusion has an action plan with progress tracked, and the self-triage and self-referral platforms in use are consolidated.",
        ),
        CARE: (
            "There are key gaps in the data and records shared across the ICS, and in the coordination of care.",
            "Some patient data can be shared between health and care systems, and care is coordinated for high-priority pathways at locality level.",
            "A single ICS shared care record is in place between all primary and secondary care organisations in the ICS.",
            "Care coordination is supported at locality level for most pathways, and acute capacity and activity data is collected at least weekly.",
            "All trusts and GP practices, and most local authorities, provide or use data in the shared care record.",
        ),
        POPULATIONS: (
            "There are no data management teams or data warehouses to support interventions, population health or innovation.",
            "Some data warehousing exists. Patients are segmented mostly by demographics, and care pathways are adapted ad hoc.",
            "Well-defined data warehouses exist, and ICS population health information on current and forecast need is used to target pathway redesign.",
            "An established single data repository holds refined data that enables more complex innovation and the monitoring of initiatives.",
            "An enriched data architecture supports coordinated ICS-wide innovation across diverse organisations, and analytics tools run whole-system prevention initiatives.",
        ),
    },
}

REVIEW_OPTIONS = ("Not reported", "Less than once a year", "Once a year", "Quarterly", "Monthly")
TEST_OPTIONS = (
    "Never",
    "Less than once a year",
    "Once a year",
    "Every six months",
    "Every quarter or more often",
)
ADOPTION_OPTIONS = {
    "secondary_care": (
        "Not in use",
        "Being planned or procured",
        "In use in some services",
        "In use in most services",
        "In use in all services",
    ),
    "icb": (
        "Not in use",
        "Being planned or procured",
        "In use by some organisations in the ICS",
        "In use by most organisations in the ICS",
        "In use by all organisations in the ICS",
    ),
}
ORG = {"secondary_care": "the organisation", "icb": "the ICB"}
BOARD = {
    "secondary_care": "the board or a board committee",
    "icb": "the ICB board or a board committee",
}
SCOPE = {"secondary_care": "most or all services", "icb": "most or all organisations in the ICS"}


@dataclass(frozen=True)
class Content:
    """What a score asks about; expanded into five or six questions and ten or so elements.

    plan: a singular noun phrase ("a board-approved digital strategy"): a yes/no question, level 2.
    topic: a noun phrase used in question and element wording ("cyber security").
    measures: the options of "Which of these are in place?": the first is a level 3 element,
        all but one a level 4 element, all of them a level 5 element.
    coverage: the clause after "What percentage of" ("clinical staff have ..."), with a
        threshold for each level 2 to 5 (at most, when lower_is_better).
    cadence: "review" (reported to the board), "adoption" (how widely used) or "testing".
    assurance: the level 5 yes/no question: "benchmark", "audit", "partners" or "users".
    count: an optional context question ("How many ...?") and its maximum; count_element
        optionally scores it: (level, op, value, element text).
    """

    plan: str
    topic: str
    measures: tuple[str, ...]
    coverage: str
    thresholds: tuple[int, int, int, int] = (25, 50, 75, 95)
    lower_is_better: bool = False
    cadence: str = "review"
    cadence_subject: str | None = None
    assurance: str = "benchmark"
    count: tuple[str, int] | None = None
    count_element: tuple[int, str, int, str] | None = None


@dataclass(frozen=True)
class Extra:
    """A question written out in full: answered and published, not scored."""

    key: str
    text: str
    answer_type: str
    options: tuple[str, ...] = ()
    bounds: tuple[int, int] | None = None
    required: bool = False
    care_settings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    """A domain as the methodology author writes it.

    content: None for a non-scoring domain (its questions are all extras).
    scores: (score id, score name, content) for a domain that yields several scores.
    years: the assessment years the domain is in.
    previous: fields of `content` that were different in 2024 (the domain is then "changed").
    """

    id: str
    name: str
    pillar: str
    care_settings: tuple[str, ...]
    description: str
    content: Content | None = None
    scores: tuple[tuple[str, str, Content], ...] = ()
    extras: tuple[Extra, ...] = ()
    years: tuple[int, ...] = YEARS
    previous: dict[str, Any] = field(default_factory=dict)

    @property
    def survey(self) -> str:
        """The survey the domain is part of, from its care settings."""
        return "icb" if ICB in self.care_settings else "secondary_care"


C = Content

# --- secondary care domains -----------------------------------------------------------------

SECONDARY_CARE = (
    # Well Led
    Spec("sc_digital_strategy", "Digital and Data Strategy", WELL_LED, ALL_SC,
         "Whether the organisation has a current, funded digital and data strategy that its board has approved.",
         C("a board-approved digital and data strategy", "the digital and data strategy",
           ("A delivery plan with milestones for this financial year", "Funding identified for each priority",
            "Measurable targets for each priority", "Clinical and patient input to the strategy",
            "Alignment with the ICS digital strategy", "A plan to retire legacy systems"),
           "clinical services have a digital priority in the delivery plan", assurance="partners")),
    Spec("sc_digital_leadership", "Digital Leadership and Board Membership", WELL_LED, ALL_SC,
         "How digital leadership is represented at board level and in clinical leadership.",
         C("a board member with named responsibility for digital", "digital leadership",
           ("A Chief Information Officer or Chief Digital Officer reporting to the chief executive",
            "A Chief Clinical Information Officer with protected time", "A Chief Nursing Information Officer",
            "A board development programme on digital", "A non-executive director with digital expertise",
            "Digital as a standing item on the board agenda"),
           "board members have completed digital leadership training in the last two years",
           thresholds=(20, 40, 60, 80))),
    Spec("sc_digital_governance", "Digital Governance and Assurance", WELL_LED, ALL_SC,
         "How digital projects and risks are governed, assured and reported to the board.",
         C("a digital committee that reports to the board", "digital governance",
           ("A single register of digital projects and risks", "Benefits tracked for every major digital project",
            "Clinical safety sign-off before go-live", "A design authority for new systems",
            "Post-implementation reviews", "A published digital governance framework"),
           "digital projects report against an approved business case", assurance="audit",
           count=("How many digital projects over £250,000 were in progress at 31 March?", 500)),
         previous={"measures": ("A single register of digital projects and risks",
                                "Benefits tracked for every major digital project",
                                "Clinical safety sign-off before go-live", "Post-implementation reviews",
                                "A published digital governance framework")}),
    Spec("sc_digital_investment", "Digital Investment and Benefits", WELL_LED, ALL_SC,
         "How digital investment is planned over several years and whether its benefits are realised.",
         C("a multi-year digital investment plan", "digital investment",
           ("Revenue funding for the running costs of new systems",
            "A capital plan for device and infrastructure refresh", "A benefits realisation framework",
            "Investment decisions prioritised by clinical risk", "Joint investment planning with ICS partners"),
           "planned digital capital spend for this year is committed", thresholds=(40, 60, 80, 95),
           count=("How many digital business cases did the board approve in the last 12 months?", 200))),
    Spec("sc_digital_sustainability", "Sustainable Digital Services", WELL_LED, ALL_SC,
         "How the organisation reduces the environmental impact of its digital services.",
         C("a plan to reduce the carbon impact of digital services", "sustainable digital services",
           ("Energy use of data centres and server rooms measured", "Devices reused or recycled through an approved partner",
            "Sustainability criteria in digital procurement", "Automatic power-down of idle devices",
            "Carbon reporting for cloud services"),
           "retired devices were reused or recycled rather than disposed of", thresholds=(20, 40, 70, 90)),
         years=(2025,)),
    # Ensure Smart Foundations
    Spec("sc_technical_infrastructure", "Technical Infrastructure", FOUNDATIONS, ALL_SC,
         "Whether hosting, servers and storage are resilient enough for key clinical systems.",
         C("an infrastructure roadmap covering hosting, servers and storage", "technical infrastructure",
           ("Resilient hosting with no single point of failure for key clinical systems",
            "Tested failover for key clinical systems", "Use of public cloud under an NHS framework",
            "Automated monitoring of system availability", "Capacity planning for storage and computing",
            "A rolling hardware refresh programme"),
           "key clinical systems met their availability target in the last 12 months",
           thresholds=(50, 75, 90, 100), cadence="testing", cadence_subject="failover of key clinical systems",
           assurance="audit",
           count=("How many unplanned outages of key clinical systems lasted more than four hours in the last 12 months?", 1000))),
    Spec("sc_networking", "Networking and Wi-Fi", FOUNDATIONS, ALL_SC,
         "Whether the network and Wi-Fi support clinical work wherever it happens.",
         C("a network design that meets the NHS connectivity standards", "the network",
           ("Wi-Fi coverage in all clinical areas", "NHS Wi-Fi for patients and visitors",
            "govroam or eduroam for visiting staff", "Network links with diverse routing",
            "Network traffic monitored in real time", "All sites moved off analogue telephone lines"),
           "clinical areas have Wi-Fi coverage that supports mobile devices", thresholds=(50, 75, 90, 100),
           cadence="testing", cadence_subject="resilience of the network"),
         previous={"measures": ("Wi-Fi coverage in all clinical areas", "NHS Wi-Fi for patients and visitors",
                                "govroam or eduroam for visiting staff", "Network links with diverse routing",
                                "Network traffic monitored in real time"),
                   "coverage": "sites are connected to the Health and Social Care Network"}),
    Spec("sc_end_user_devices", "End User Devices", FOUNDATIONS, ALL_SC,
         "Whether staff have secure, supported and well-managed devices.",
         C("a standard build for end user devices", "end user devices",
           ("Devices centrally managed and patched", "Encryption on all laptops and mobile devices",
            "Single sign-on or tap-and-go log-in on shared devices",
            "Mobile devices for staff who work away from a desk", "A device replacement cycle of five years or less"),
           "end user devices run an operating system that is no longer supported",
           thresholds=(20, 10, 5, 1), lower_is_better=True, assurance="audit",
           count=("How many end user devices does the organisation manage?", 100000))),
    Spec("sc_it_asset_management", "IT Asset Management", FOUNDATIONS, ALL_SC,
         "Whether hardware and software assets are known, owned and safely retired.",
         C("an up-to-date register of IT hardware and software", "IT asset management",
           ("Automated discovery of devices on the network", "Software licences reconciled with the register",
            "Named owners for every clinical system", "End-of-life dates recorded for every asset",
            "Secure disposal with certificates of destruction"),
           "IT assets are recorded in the register with a named owner", thresholds=(50, 75, 90, 98),
           assurance="audit")),
    Spec("sc_interoperability_standards", "Interoperability Standards", FOUNDATIONS, ALL_SC,
         "Whether systems exchange data through national standards rather than bespoke links.",
         C("an interoperability strategy based on national standards", "interoperability standards",
           ("NHS number verified and used in all clinical systems", "FHIR interfaces for new system integrations",
            "SNOMED CT used for clinical terms", "dm+d used for medicines", "An integration engine or platform",
            "Standards required in every system procurement"),
           "clinical systems exchange data through standards-based interfaces", cadence="adoption")),
    Spec("sc_electronic_patient_record", "Electronic Patient Record", FOUNDATIONS, AMC,
         "How fully the electronic patient record is used as the main clinical record.",
         C("an electronic patient record that is the main clinical record", "the electronic patient record",
           ("Clinical notes recorded in the electronic patient record",
            "Orders and results managed in the electronic patient record",
            "Clinical letters generated from the electronic patient record", "Structured data captured with SNOMED CT",
            "Access from mobile devices at the point of care", "A single record shared across all services"),
           "clinical services use the electronic patient record as their main record", thresholds=(30, 60, 85, 100),
           cadence="adoption", assurance="users"),
         extras=(Extra("supplier_years", "How many years remain on the main electronic patient record contract?",
                       "number", bounds=(0, 20)),)),
    Spec("sc_records_digitisation", "Records Digitisation", FOUNDATIONS, AMC,
         "How far paper records have been replaced by digital ones.",
         C("a plan to stop creating new paper records", "records digitisation",
           ("Legacy paper records scanned on demand", "Scanned documents indexed and searchable",
            "Paper forms replaced with electronic forms", "Off-site paper storage being reduced",
            "Digital dictation or speech recognition"),
           "new clinical documentation is still created on paper", thresholds=(50, 25, 10, 2), lower_is_better=True)),
    Spec("sc_computer_aided_dispatch", "Computer-Aided Dispatch", FOUNDATIONS, (AMBULANCE,),
         "Whether the ambulance dispatch system is resilient and linked to partners.",
         C("a computer-aided dispatch system that meets the national ambulance standards", "computer-aided dispatch",
           ("Automatic vehicle location feeding the dispatch system", "Electronic transfer of calls from NHS 111",
            "Links to neighbouring ambulance services for mutual aid",
            "Electronic links to police and fire control rooms", "A tested fallback for the dispatch system",
            "Real-time reporting of call and response times"),
           "999 calls were handled without a manual fallback in the last 12 months", thresholds=(90, 95, 98, 100),
           cadence="testing", cadence_subject="the dispatch fallback", assurance="audit",
           count=("How many times did the dispatch system fail over to its fallback in the last 12 months?", 365),
           count_element=(5, "at_most", 2, "The dispatch system failed over no more than twice in the last 12 months"))),
    Spec("sc_vehicle_mobile_data", "Mobile Data in Vehicles", FOUNDATIONS, (AMBULANCE,),
         "Whether crews have reliable mobile data and information in their vehicles.",
         C("a mobile data terminal in every emergency vehicle", "in-vehicle mobile data",
           ("Incident details sent electronically to crews", "Satellite navigation linked to the dispatch system",
            "Crews can view local care plans from the vehicle", "Mobile connectivity with a second network as backup",
            "Remote management of in-vehicle devices"),
           "emergency vehicles have a working mobile data terminal", thresholds=(60, 80, 95, 100))),
    # Safe Practice
    Spec("sc_cyber_network_security", "Cyber and Network Security", SAFE, ALL_SC,
         "How well the organisation prevents, detects and recovers from cyber attacks.",
         C("a cyber security strategy approved by the board", "cyber security",
           ("Multi-factor authentication for all remote access", "Endpoint detection and response on all devices",
            "Annual penetration testing by an accredited provider", "Connection to the NHS cyber alerts service",
            "A rehearsed cyber incident response plan", "Network segmentation for medical devices"),
           "high-severity cyber alerts were acted on within the national target time", thresholds=(50, 75, 90, 100),
           assurance="audit",
           count=("How many cyber security incidents were reported to NHS England in the last 12 months?", 500))),
    Spec("sc_identity_access_management", "Identity and Access Management", SAFE, ALL_SC,
         "Whether the right people, and only they, can reach clinical systems.",
         C("a policy for granting and removing access to clinical systems", "identity and access management",
           ("NHS Care Identity Service used for smartcard access", "Single sign-on to key clinical systems",
            "Access removed automatically when staff leave", "Privileged accounts managed through a dedicated tool",
            "Regular reviews of who can access each system"),
           "staff accounts with access to clinical systems use multi-factor authentication", assurance="audit")),
    Spec("sc_data_security_protection_toolkit", "Data Security and Protection Toolkit", SAFE, ALL_SC,
         "The organisation's Data Security and Protection Toolkit self-assessment: asked for context, not scored.",
         extras=(
             Extra("status", "What was the organisation's status in its most recent Data Security and Protection Toolkit submission?",
                   "single_choice", ("Standards exceeded", "Standards met", "Approaching standards",
                                     "Standards not met", "Not yet submitted"), required=True),
             Extra("audit", "Was the most recent submission independently audited?", "yes_no", required=True),
             Extra("training", "What percentage of staff completed data security awareness training in the last 12 months?",
                   "percentage", required=True),
             Extra("outstanding", "How many mandatory evidence items were outstanding at the last submission?",
                   "number", bounds=(0, 200)),
             Extra("improvement_plan", "Is there an agreed improvement plan for any standards not met?", "yes_no"),
             Extra("dpo", "Does the organisation have a named Data Protection Officer?", "yes_no", required=True),
         )),
    Spec("sc_data_security_recovery", "Data Security and Recovery", SAFE, ALL_SC,
         "Whether clinical data is protected from loss and can be restored after an incident.",
         C("a tested backup and recovery plan for clinical data", "data backup and recovery",
           ("Immutable or offline backups of key clinical systems", "Backups encrypted at rest",
            "Recovery time objectives agreed for each clinical system", "A full restore tested in the last 12 months",
            "Data loss prevention controls on email and removable media"),
           "key clinical systems had a recovery test in the last 12 months", cadence="testing",
           cadence_subject="recovery from backup", assurance="audit")),
    Spec("sc_data_governance", "Data Governance", SAFE, ALL_SC,
         "How information assets, data sharing and data protection are governed.",
         C("a data governance framework with named data owners", "data governance",
           ("An information asset register", "Data protection impact assessments for new systems",
            "Data sharing agreements recorded centrally", "A Caldicott Guardian with support for the role",
            "A data catalogue describing key datasets"),
           "information assets have a named owner and a completed risk assessment", assurance="audit")),
    Spec("sc_clinical_safety", "Digital Clinical Safety", SAFE, ALL_SC,
         "Whether clinical risks from digital systems are managed to the national standards.",
         C("a clinical risk management system that meets DCB0160", "digital clinical safety",
           ("A named Clinical Safety Officer", "Hazard logs for every clinical system",
            "Clinical safety cases signed off before go-live", "Digital incidents recorded and reviewed",
            "Clinical safety training for project teams"),
           "clinical systems in use have a current clinical safety case", thresholds=(40, 60, 80, 100),
           assurance="audit")),
    Spec("sc_data_quality", "Data Quality", SAFE, ALL_SC,
         "How the organisation measures and improves the quality of the data it records.",
         C("a data quality policy with named leads", "data quality",
           ("Data quality dashboards for services", "Regular checks against the Data Quality Maturity Index",
            "Validation at the point of data entry", "Training for staff who record data",
            "A process to correct errors at source"),
           "national data submissions passed validation first time", thresholds=(60, 80, 90, 98))),
    # Support Workforce
    Spec("sc_workforce_digital_literacy", "Workforce Digital Literacy", WORKFORCE, ALL_SC,
         "Whether staff have the digital skills and support to use the systems they need.",
         C("a digital skills plan for all staff", "digital skills",
           ("Digital skills assessed at induction", "Role-based training on clinical systems",
            "Digital champions in clinical teams", "Support for staff with low digital confidence",
            "Digital skills in appraisals and job plans", "Access to the NHS Digital Academy or similar"),
           "staff have completed training on the clinical systems they use", thresholds=(40, 60, 80, 95)),
         previous={"measures": ("Digital skills assessed at induction", "Role-based training on clinical systems",
                                "Digital champions in clinical teams", "Support for staff with low digital confidence",
                                "Access to the NHS Digital Academy or similar"),
                   "coverage": "staff have completed a digital skills self-assessment"}),
    Spec("sc_ddat_workforce", "DDaT Workforce Capability and Capacity", WORKFORCE, ALL_SC,
         "Whether the organisation has the digital, data and technology (DDaT) staff it needs.",
         C("a workforce plan for digital, data and technology staff", "the digital, data and technology workforce",
           ("Roles mapped to the national DDaT profession framework", "A professional development budget for DDaT staff",
            "Apprenticeships or graduate schemes in DDaT roles", "Succession plans for critical DDaT roles",
            "Registered professionals in clinical informatics"),
           "established DDaT posts are filled by permanent staff", thresholds=(50, 70, 85, 95),
           count=("How many whole-time equivalent DDaT posts were vacant at 31 March?", 1000))),
    Spec("sc_e_rostering", "E-Rostering and E-Job Planning", WORKFORCE, ALL_SC,
         "How rosters and job plans are managed electronically.",
         C("an e-rostering system", "e-rostering and e-job planning",
           ("Rosters published at least six weeks in advance", "Staff can request shifts and leave online",
            "E-job plans for medical staff", "Rosters linked to acuity and demand data",
            "Bank and agency shifts booked through the system"),
           "clinical staff are on an electronic roster", thresholds=(50, 75, 90, 98), cadence="adoption")),
    Spec("sc_demand_capacity", "Demand and Capacity Management", WORKFORCE, ALL_SC,
         "How data is used to forecast demand and match capacity to it.",
         C("a demand and capacity model for core services", "demand and capacity modelling",
           ("Demand forecasts updated at least monthly", "Capacity plans linked to workforce plans",
            "Real-time capacity dashboards", "Data from partner organisations in forecasts",
            "Scenario modelling for seasonal pressures"),
           "services have a demand and capacity plan reviewed in the last 12 months", assurance="partners")),
    Spec("sc_supply_chain", "Digital Supply Chain", WORKFORCE, ALL_SC,
         "How far ordering, stock and product tracking are automated.",
         C("an electronic procurement and inventory system", "supply chain management",
           ("Purchase orders raised electronically", "GS1 barcodes scanned at the point of use",
            "Automatic stock replenishment", "Product recalls traced to patients",
            "Catalogue data kept in line with the national catalogue"),
           "purchase orders are raised electronically", thresholds=(50, 70, 85, 95), cadence="adoption",
           count=("How many stock lines are managed through the inventory system?", 100000))),
    Spec("sc_staff_collaboration", "Staff Collaboration and Mobile Working", WORKFORCE, ALL_SC,
         "Whether staff can communicate securely and work wherever they need to.",
         C("a standard set of collaboration tools for all staff", "collaboration tools",
           ("NHSmail or equivalent secure email for all staff", "Video calling for meetings and clinical discussions",
            "Secure messaging for clinical teams", "Remote access to clinical systems",
            "Shared document storage with version control"),
           "staff have a device that lets them work away from a fixed desk", cadence="adoption", assurance="users")),
    # Empower People
    Spec("sc_citizen_health_records", "Citizen Access to Health Records", PEOPLE, AMC,
         "Whether patients can see and contribute to their own records online.",
         C("a way for patients to view their own records online", "patient access to records",
           ("Clinic letters shared with patients online", "Test results shared with patients online",
            "Patients can add information to their record", "Proxy access for carers", "Access through the NHS App"),
           "patients with an open episode of care can view their record online", thresholds=(10, 25, 50, 75),
           assurance="users")),
    Spec("sc_patient_communications", "Patient Communications", PEOPLE, AMC,
         "How the organisation communicates with patients through digital channels.",
         C("a digital-first approach to patient letters and messages", "digital patient communications",
           ("Appointment letters sent digitally", "Text message reminders", "Two-way messaging with patients",
            "Communications in accessible formats and community languages",
            "A choice of digital or paper letters"),
           "appointment letters were sent digitally in the last month", thresholds=(20, 40, 60, 80),
           cadence="adoption", assurance="users")),
    Spec("sc_appointment_management", "Online Appointment Management", PEOPLE, AMC,
         "Whether patients can manage their appointments online.",
         C("online booking or rebooking of outpatient appointments", "online appointment management",
           ("Patients can cancel appointments online", "Patients can rebook appointments online",
            "Patient-initiated follow-up", "Video consultations", "Appointments visible in the NHS App"),
           "outpatient appointments can be managed online by the patient", thresholds=(10, 30, 60, 85),
           cadence="adoption")),
    Spec("sc_digital_inclusion", "Digital Inclusion", PEOPLE, ALL_SC,
         "Whether digital services are designed so that no one is left behind.",
         C("a digital inclusion plan", "digital inclusion",
           ("Data on patients' digital access and preferences", "A non-digital route kept for every service",
            "Free Wi-Fi for patients", "Help for patients to get online",
            "Equality impact assessments for digital services"),
           "new digital services had an equality impact assessment", thresholds=(40, 60, 80, 100),
           assurance="partners")),
    Spec("sc_patient_reported_information", "Patient-Reported Information", PEOPLE, AMC,
         "Whether patients can send information digitally before or between appointments.",
         C("a way for patients to submit information digitally before or between appointments",
           "patient-reported information",
           ("Digital pre-assessment questionnaires", "Patient-reported outcome measures collected digitally",
            "Symptom diaries or trackers", "Patient feedback collected digitally", "Responses added to the clinical record"),
           "services collect patient-reported information digitally", thresholds=(10, 30, 50, 75),
           cadence="adoption", assurance="users")),
    Spec("sc_nhs_app_integration", "NHS App Integration", PEOPLE, AMC,
         "How far the organisation's services can be reached through the NHS App.",
         C("a plan to make services available through the NHS App", "NHS App integration",
           ("Appointments shown in the NHS App", "Messages and letters sent through the NHS App",
            "Patient-initiated follow-up through the NHS App", "Questionnaires completed in the NHS App",
            "NHS login used for the organisation's patient portal"),
           "outpatient specialties have appointments shown in the NHS App", thresholds=(10, 40, 70, 95),
           cadence="adoption"),
         years=(2025,)),
    Spec("sc_self_check_in", "Self Check-In and Wayfinding", PEOPLE, (ACUTE,),
         "Whether patients can check in and find their way around hospital sites digitally.",
         C("self check-in for outpatient appointments", "self check-in",
           ("Check-in kiosks in outpatient areas", "Check-in from a patient's own phone", "Digital calling screens",
            "Digital wayfinding", "Arrival updates patient flow systems automatically"),
           "outpatient clinics offer self check-in", thresholds=(20, 50, 75, 95), cadence="adoption",
           assurance="users")),
    # Improve Care
    Spec("sc_shared_care_records", "Shared Care Records", CARE, ALL_SC,
         "Whether the organisation contributes to and uses the ICS shared care record.",
         C("access to the ICS shared care record from the organisation's main clinical system",
           "the shared care record",
           ("The organisation sends data to the shared care record",
            "Clinicians can open the shared care record in context", "Data from GP practices is viewable",
            "Data from social care is viewable", "Care plans shared through the shared care record",
            "Use of the shared care record monitored"),
           "clinical staff used the shared care record in the last month", thresholds=(10, 25, 50, 75),
           cadence="adoption", assurance="partners"),
         previous={"measures": ("The organisation sends data to the shared care record",
                                "Clinicians can open the shared care record in context",
                                "Data from GP practices is viewable", "Data from social care is viewable",
                                "Use of the shared care record monitored"),
                   "coverage": "clinical staff have access to the shared care record"}),
    Spec("sc_care_coordination", "Care Coordination", CARE, ALL_SC,
         "How digital tools help coordinate care with other providers.",
         C("digital tools to coordinate care with other providers", "digital care coordination",
           ("Electronic referrals to other providers", "Shared care plans for people with complex needs",
            "Electronic notification of admissions and discharges", "A single view of waiting lists across providers",
            "Multidisciplinary meetings supported by shared data"),
           "referrals to other providers were sent electronically", assurance="partners")),
    Spec("sc_digital_medicines", "Digital Medicines", CARE, AMC,
         "How medicines are prescribed, given, dispensed and shared digitally; yields three scores.",
         scores=(
             ("sc_digital_medicines_interoperability", "Digital Medicines Interoperability",
              C("a medicines record that uses dm+d and can be shared with other providers", "medicines interoperability",
                ("Medicines data coded with dm+d", "Medication history imported from GP records",
                 "Discharge medicines sent electronically to GP practices",
                 "Discharge medicines sent electronically to community pharmacies",
                 "Allergy data shared with other systems"),
                "discharges had medicines information sent electronically", cadence="adoption",
                assurance="partners")),
             ("sc_prescribing_administration", "Prescribing and Administration",
              C("electronic prescribing and medicines administration (ePMA)", "electronic prescribing and administration",
                ("Inpatient prescribing on ePMA", "Outpatient prescribing on ePMA",
                 "Barcode scanning at medicines administration", "Clinical decision support for prescribing",
                 "Closed-loop administration with infusion pumps"),
                "inpatient beds are covered by electronic prescribing", thresholds=(30, 60, 90, 100),
                cadence="adoption", assurance="audit")),
             ("sc_dispensing_supply", "Dispensing and Supply",
              C("a pharmacy system linked to electronic prescribing", "dispensing and supply",
                ("Automated dispensing robots", "Electronic ordering of ward stock",
                 "Automated dispensing cabinets on wards",
                 "Electronic transfer of prescriptions to the outpatient pharmacy", "Stock levels visible in real time"),
                "dispensing is driven by electronic prescriptions", cadence="adoption")),
         ),
         extras=(
             Extra("reconciliation", "What percentage of admitted patients had their medicines reconciled within 24 hours?",
                   "percentage"),
             Extra("epma_areas", "Which of these areas are covered by ePMA?", "multiple_choice",
                   ("Adult inpatient wards", "Children's wards", "Critical care", "Emergency department",
                    "Day surgery"), care_settings=(ACUTE,)),
         )),
    Spec("sc_clinical_decision_support", "Clinical Decision Support", CARE, ALL_SC,
         "Whether clinical systems support decisions at the point of care.",
         C("clinical decision support built into the main clinical system", "clinical decision support",
           ("Alerts for deteriorating patients", "Sepsis screening prompts", "Order sets based on local pathways",
            "Alerts reviewed to reduce alert fatigue", "Decision support governed by a clinical group"),
           "clinical pathways have decision support in the clinical system", thresholds=(10, 30, 50, 75),
           cadence="adoption", assurance="audit")),
    Spec("sc_diagnostics", "Diagnostics Ordering and Results", CARE, AM,
         "Whether tests are ordered and results returned electronically.",
         C("electronic ordering of tests and reporting of results", "electronic test ordering and results",
           ("Pathology tests ordered electronically", "Imaging ordered electronically",
            "Results acknowledged electronically by the requester", "Results shared with GP practices electronically",
            "Images viewable across the ICS"),
           "test requests are made electronically", thresholds=(50, 75, 90, 98), cadence="adoption")),
    Spec("sc_electronic_observations", "Electronic Observations", CARE, AM,
         "Whether patient observations are recorded electronically and trigger escalation.",
         C("electronic recording of patient observations", "electronic observations",
           ("Observations recorded at the bedside on mobile devices", "Early warning scores calculated automatically",
            "Escalation to clinicians triggered automatically", "Observations from connected monitoring devices",
            "Observation data available in the patient record"),
           "inpatient wards record observations electronically", thresholds=(40, 70, 90, 100),
           cadence="adoption", assurance="audit")),
    Spec("sc_remote_monitoring", "Remote Monitoring and Virtual Wards", CARE, AC,
         "Whether patients can be monitored safely at home.",
         C("remote monitoring for patients at home", "remote monitoring",
           ("Virtual ward beds with technology-enabled monitoring", "Readings reviewed by a clinical team each day",
            "Alerts when readings pass agreed thresholds", "Devices supplied to patients who need them",
            "Remote monitoring data in the clinical record"),
           "virtual ward beds use technology-enabled remote monitoring", cadence="adoption", assurance="partners",
           count=("How many virtual ward beds did the organisation have at 31 March?", 2000)),
         previous={"coverage": "virtual ward beds were occupied on average", "thresholds": (40, 60, 80, 90)}),
    Spec("sc_patient_flow", "Patient Flow and Bed Management", CARE, AM,
         "Whether bed state and discharges are managed with real-time data.",
         C("an electronic bed management system", "electronic bed management",
           ("Bed state updated in real time", "Expected discharge dates recorded electronically",
            "Electronic whiteboards on wards", "Automatic alerts for delayed discharges",
            "Flow data shared with system partners"),
           "inpatient wards update bed state electronically", thresholds=(40, 70, 90, 100), cadence="adoption")),
    Spec("sc_theatres", "Theatres and Perioperative Care", CARE, (ACUTE,),
         "How theatres are scheduled and surgical care is recorded digitally.",
         C("an electronic theatre management system", "theatre management",
           ("Theatre lists scheduled electronically", "Surgical safety checklist recorded electronically",
            "Implants tracked by barcode", "Theatre use reported automatically",
            "Pre-operative assessment completed digitally"),
           "elective theatre lists are scheduled electronically", thresholds=(50, 75, 90, 100), cadence="adoption")),
    Spec("sc_artificial_intelligence", "Artificial Intelligence and Automation", CARE, ALL_SC,
         "Whether AI and automation are used safely, with clear ownership and evaluation.",
         C("a policy for the safe use of artificial intelligence", "artificial intelligence",
           ("A register of AI tools in use", "Clinical safety assessment of AI tools",
            "Robotic process automation for administrative tasks", "AI tools evaluated before wider use",
            "Staff guidance on generative AI"),
           "AI tools in use have a named clinical or business owner", thresholds=(50, 75, 90, 100),
           assurance="audit",
           count=("How many AI tools are in use in clinical or operational services?", 500)),
         years=(2025,)),
    Spec("sc_transfers_of_care", "Digital Transfers of Care", CARE, ALL_SC,
         "Whether information follows the patient electronically when care moves elsewhere.",
         C("electronic discharge or transfer summaries sent to the next care provider", "digital transfers of care",
           ("Summaries sent within 24 hours", "Summaries structured to national standards",
            "Summaries sent to community pharmacies", "Transfers of care to social care sent electronically",
            "Receipt of summaries confirmed electronically"),
           "discharge or transfer summaries were sent electronically within 24 hours", thresholds=(40, 70, 90, 98),
           cadence="adoption")),
    Spec("sc_electronic_patient_care_record", "Electronic Patient Care Record", CARE, (AMBULANCE,),
         "Whether ambulance crews record care electronically and share it with the next provider.",
         C("an electronic patient care record used by all crews", "the electronic patient care record",
           ("Records sent electronically to receiving hospitals", "Crews can view the Summary Care Record",
            "Records shared with GP practices after see-and-treat", "Decision support for non-conveyance",
            "Records completed offline and synchronised later"),
           "patient contacts are recorded on the electronic patient care record", thresholds=(50, 80, 95, 100),
           cadence="adoption", assurance="audit")),
    Spec("sc_remote_clinical_triage", "Hear and Treat Remote Triage", CARE, (AMBULANCE,),
         "Whether 999 callers can be assessed remotely and directed to the right service.",
         C("a clinical hub for remote assessment of 999 calls", "remote clinical triage",
           ("Clinical validation of lower-acuity calls", "Video consultation with callers",
            "Direct booking into urgent care services", "Access to the Directory of Services",
            "Remote triage outcomes shared with GP practices"),
           "incidents were closed with hear and treat", thresholds=(5, 10, 15, 20),
           count=("How many calls did the clinical hub assess in the last 12 months?", 2000000))),
    Spec("sc_ambulance_handover", "Digital Hospital Handover", CARE, (AMBULANCE,),
         "Whether handover to emergency departments is supported by shared, timed data.",
         C("electronic pre-alerts to receiving hospitals", "digital handover to hospitals",
           ("Pre-alerts sent from the vehicle", "Handover times captured electronically",
            "Handover data shared in real time with hospitals",
            "Patient care records viewable in the emergency department", "Delays escalated automatically"),
           "hospital handovers have times captured electronically", thresholds=(40, 70, 90, 100),
           cadence="adoption", assurance="partners")),
    Spec("sc_mental_health_act", "Digital Mental Health Act Forms", CARE, (MENTAL_HEALTH,),
         "Whether statutory Mental Health Act forms are completed and tracked electronically.",
         C("electronic Mental Health Act forms", "electronic Mental Health Act forms",
           ("Forms signed with a digital signature", "Forms completed on mobile devices",
            "Forms shared electronically with approved mental health professionals",
            "Statutory deadlines tracked automatically", "Forms stored in the electronic patient record"),
           "Mental Health Act forms are completed electronically", thresholds=(20, 50, 80, 95),
           cadence="adoption", assurance="audit")),
    Spec("sc_community_scheduling", "Community Scheduling and Caseloads", CARE, (COMMUNITY,),
         "Whether community teams plan visits and manage caseloads electronically.",
         C("electronic scheduling for community teams", "electronic scheduling",
           ("Visits scheduled with route planning", "Caseloads visible across teams",
            "Staff view schedules on mobile devices", "Patients told their visit times digitally",
            "Skill mix matched to visits automatically"),
           "community teams schedule visits electronically", thresholds=(30, 60, 85, 100), cadence="adoption")),
    # Healthy Populations
    Spec("sc_central_data_repository", "Central Data Repositories", POPULATIONS, ALL_SC,
         "Whether data from clinical systems is brought together in a well-managed repository.",
         C("a central data warehouse or repository", "the central data repository",
           ("Automated daily feeds from key clinical systems", "A documented data model",
            "Data linked with other providers' data", "Near real-time data feeds", "Self-service reporting for staff"),
           "key clinical systems feed the central repository automatically", thresholds=(30, 60, 85, 100))),
    Spec("sc_analytics_capability", "Business Intelligence and Analytics", POPULATIONS, ALL_SC,
         "Whether the organisation has the analytical skills and tools to use its data well.",
         C("an analytics strategy and a central analytics team", "business intelligence and analytics",
           ("Dashboards for operational performance", "Statistical process control charts in board reports",
            "Predictive models in operational use", "Analysts with data science skills",
            "Code and methods shared openly"),
           "board performance measures are updated automatically", thresholds=(20, 50, 75, 95),
           count=("How many whole-time equivalent analysts does the organisation employ?", 500))),
    Spec("sc_research_data", "Research Data", POPULATIONS, AMC,
         "Whether clinical data can be used safely for approved research.",
         C("a process to use clinical data for approved research", "research data",
           ("A trusted research environment, or access to one", "National data opt-outs applied automatically",
            "Trial recruitment supported by searches of the record", "Research data governance reviewed by a committee",
            "Participation in national research data programmes"),
           "research studies used electronic records to identify participants", thresholds=(10, 25, 50, 75),
           assurance="partners")),
    Spec("sc_innovation", "Innovation", POPULATIONS, ALL_SC,
         "How the organisation finds, tests and spreads digital innovation.",
         C("an innovation strategy with a named lead", "digital innovation",
           ("A process to assess and adopt proven innovations", "Links with the health innovation network",
            "Funding set aside for innovation", "Pilots evaluated before wider rollout",
            "Staff ideas captured and followed up"),
           "innovation pilots were evaluated against agreed outcomes", thresholds=(20, 50, 75, 90),
           assurance="partners")),
    Spec("population_health_analytics", "Predictive Analysis for Population Health Needs", POPULATIONS, AMC,
         "Whether data is used to predict the health needs of the population served.",
         C("a population health analytics capability", "population health analytics",
           ("Patients segmented by risk", "Data linked across health and care", "Models predicting future demand",
            "Analysis of health inequalities", "Findings used to redesign pathways"),
           "services used population health data to plan care in the last 12 months", thresholds=(10, 30, 50, 75),
           assurance="partners"),
         years=(2024,)),
    Spec("sc_legacy_communications", "Fax and Pager Retirement", WORKFORCE, ALL_SC,
         "Whether fax machines and pagers have been replaced with secure digital alternatives.",
         C("a plan to retire fax machines and pagers", "retiring fax machines and pagers",
           ("No fax machines in use", "Pagers replaced except for emergency bleeps",
            "Secure messaging in place of pagers", "Emergency alerts through a resilient system",
            "Staff trained on replacement tools"),
           "clinical teams have stopped using pagers", thresholds=(20, 50, 80, 95)),
         years=(2024,)),
)  # fmt: skip

# --- ICB domains ----------------------------------------------------------------------------

ICB_DOMAINS = (
    # Well Led
    Spec("icb_digital_strategy", "Digital and Data Strategy", WELL_LED, (ICB,),
         "Whether the ICS has an agreed, funded digital and data strategy with a delivery plan.",
         C("a digital and data strategy for the ICS agreed by the ICB board", "the ICS digital and data strategy",
           ("A delivery plan covering at least this financial year", "A delivery plan covering several years",
            "Funding identified for each priority", "Priorities agreed with all NHS trusts in the ICS",
            "Priorities agreed with local authorities", "Outcome measures for each priority"),
           "organisations in the ICS have signed up to the strategy's priorities", thresholds=(25, 50, 80, 100),
           assurance="partners")),
    Spec("icb_digital_leadership", "Digital Leadership and Board Membership", WELL_LED, (ICB,),
         "How digital and data leadership is represented on the ICB board and across the ICS.",
         C("an ICB board member responsible for digital and data", "digital leadership",
           ("A Chief Digital and Information Officer for the ICS", "A Chief Clinical Information Officer for the ICS",
            "A digital leadership network across ICS organisations", "Digital leadership development for board members",
            "Digital as a standing item on the ICB board agenda"),
           "ICB board members have completed digital leadership training in the last two years",
           thresholds=(20, 40, 60, 80))),
    Spec("icb_digital_governance", "Digital Governance and Assurance", WELL_LED, (ICB,),
         "How digital programmes across the ICS are governed and assured.",
         C("a digital and data board for the ICS", "digital governance across the ICS",
           ("A single pipeline of digital initiatives across the ICS", "Benefits tracked for ICS-wide programmes",
            "A risk register for ICS digital programmes", "Terms of reference linking to ICS governance",
            "Decisions supported by current data"),
           "ICS digital programmes report progress through the digital and data board", thresholds=(25, 50, 80, 100),
           assurance="audit",
           count=("How many digital initiatives are in the ICS pipeline?", 500))),
    Spec("icb_enterprise_architecture", "Enterprise Architecture", WELL_LED, (ICB,),
         "Whether the ICS plans its systems and data as one architecture.",
         C("an enterprise architecture function for the ICS", "enterprise architecture",
           ("A map of systems used across the ICS", "Architecture principles agreed by ICS partners",
            "A technical design authority", "A target architecture with a roadmap",
            "Architecture review of new procurements"),
           "major ICS procurements had an architecture review", thresholds=(20, 50, 80, 100), assurance="partners",
           count=("How many clinical and business systems are in use across the ICS?", 5000)),
         years=(2025,)),
    Spec("icb_digital_investment", "ICS Digital Investment Planning", WELL_LED, (ICB,),
         "How digital investment is planned jointly across the ICS.",
         C("a digital investment plan for the ICS", "ICS digital investment",
           ("Capital allocated by agreed priorities", "Revenue consequences assessed",
            "Joint business cases across organisations", "Benefits tracked", "Investment aligned with the strategy"),
           "ICS digital capital was allocated through the joint plan", thresholds=(25, 50, 75, 95)),
         years=(2024,)),
    # Ensure Smart Foundations
    Spec("icb_technical_infrastructure", "Technical Infrastructure", FOUNDATIONS, (ICB,),
         "Whether the ICB's hosting and IT operations are efficient and continuously improved.",
         C("a cloud strategy for ICB-hosted services", "cloud and hosting",
           ("Cloud migration plans for ICB systems", "Cloud costs and performance monitored",
            "Unused cloud resources removed automatically", "IT operations documented and standardised",
            "Continuous improvement of IT operations"),
           "ICB-hosted services run in the cloud", thresholds=(20, 50, 75, 95))),
    Spec("icb_networking", "Networking", FOUNDATIONS, (ICB,),
         "Whether ICB staff and visiting workers have reliable connectivity.",
         C("a network plan covering ICB sites and shared estate", "the network",
           ("Wi-Fi for staff at all ICB sites", "govroam for visiting workers", "Move away from PSTN lines completed",
            "Move away from ISDN lines completed", "Network capacity monitored"),
           "ICB staff report no network constraints at their usual site", thresholds=(40, 60, 80, 95),
           cadence="testing", cadence_subject="resilience of the network",
           count=("How many ICB sites still rely on PSTN or ISDN lines?", 500),
           count_element=(4, "at_most", 0, "No ICB site relies on PSTN or ISDN lines"))),
    Spec("icb_hardware_security", "Security and Privacy of Hardware Devices", FOUNDATIONS, (ICB,),
         "Whether ICB devices are secure and protect privacy.",
         C("a hardware standard for ICB devices", "device security",
           ("Encryption on all laptops and mobile devices", "Devices centrally managed and patched",
            "Privacy screens for staff who work in public places", "Lost devices wiped remotely",
            "Secure disposal of devices"),
           "ICB devices meet the hardware standard", thresholds=(50, 75, 90, 100), assurance="audit",
           count=("How many ICB devices were reported lost or stolen in the last 12 months?", 1000))),
    Spec("icb_it_asset_management", "IT Asset Management", FOUNDATIONS, (ICB,),
         "Whether the ICB knows what IT it has, who owns it and when it must be replaced.",
         C("an up-to-date register of ICB IT assets", "IT asset management",
           ("Automated discovery of devices", "Software licences reconciled with the register",
            "End-of-life dates recorded", "Assets shared with partners recorded",
            "Secure disposal with certificates of destruction"),
           "ICB IT assets are recorded with a named owner", thresholds=(50, 75, 90, 98), assurance="audit")),
    # Safe Practice
    Spec("icb_cyber_network_security", "Cyber and Network Security", SAFE, (ICB,),
         "How the ICB leads and supports cyber security across the ICS.",
         C("an ICS cyber security strategy", "cyber security across the ICS",
           ("A cyber security lead for the ICS", "Shared cyber incident response plans",
            "Cyber exercises run across ICS organisations", "Multi-factor authentication for ICB systems",
            "Cyber risks reported to the ICB board"),
           "organisations in the ICS took part in a cyber exercise in the last 12 months", assurance="audit",
           count=("How many cyber incidents affecting ICS organisations did the ICB support in the last 12 months?", 500))),
    Spec("icb_identity_access_management", "Identity and Access Management", SAFE, (ICB,),
         "Whether access to ICB systems is controlled and reviewed.",
         C("a policy for managing access to ICB systems", "identity and access management",
           ("Single sign-on to ICB systems", "Access removed automatically when staff leave",
            "Shared identity for staff who work across organisations", "Privileged access managed",
            "Regular access reviews"),
           "ICB accounts use multi-factor authentication", thresholds=(50, 75, 90, 100), assurance="audit")),
    Spec("icb_data_governance", "Data Governance", SAFE, (ICB,),
         "How well the ICB's data definitions, quality and sharing are governed.",
         C("a data governance framework aligned with the NHS Data Dictionary", "data governance",
           ("Internal data definitions aligned with the NHS Data Dictionary",
            "A process to track changes to the NHS Data Dictionary", "Data quality checks on data from providers",
            "Data sharing agreements recorded centrally", "Privacy notices kept up to date"),
           "internal data definitions match the NHS Data Dictionary", thresholds=(25, 50, 90, 100),
           assurance="audit")),
    # Support Workforce
    Spec("icb_ddat_workforce", "DDaT Workforce Capability and Capacity", WORKFORCE, (ICB,),
         "Whether the ICS has the digital, data and technology (DDaT) workforce it needs.",
         C("a DDaT workforce plan for the ICS", "the DDaT workforce",
           ("DDaT roles mapped to the national profession framework", "Shared DDaT roles across ICS organisations",
            "Development plans for DDaT staff", "Apprenticeships in DDaT roles", "DDaT vacancies tracked across the ICS"),
           "established DDaT posts in the ICB are filled", thresholds=(50, 70, 85, 95),
           count=("How many whole-time equivalent DDaT staff does the ICB employ?", 1000)),
         years=(2025,)),
    Spec("icb_workforce_digital_literacy", "Workforce Digital Literacy", WORKFORCE, (ICB,),
         "Whether staff across the ICS are supported to build digital skills.",
         C("a digital skills programme for staff across the ICS", "digital skills across the ICS",
           ("Digital skills assessment for ICB staff", "A shared digital skills offer for ICS organisations",
            "A digital champions network", "Workforce digital skills monitored at system level",
            "Support for staff with low digital confidence"),
           "ICB staff have completed a digital skills assessment", thresholds=(25, 50, 75, 90))),
    # Empower People
    Spec("icb_citizen_health_records", "Citizen Accessible Health Records", PEOPLE, (ICB,),
         "Whether citizens in the ICS can see and contribute to their records online.",
         C("a plan for citizens to view their records online across the ICS", "citizen access to records",
           ("GP records viewable in the NHS App", "Hospital letters viewable online", "Test results viewable online",
            "Proxy access for carers", "Citizens can contribute to their records"),
           "GP practices give patients online access to their full record", thresholds=(50, 75, 90, 100),
           assurance="users")),
    Spec("icb_public_engagement", "Public Engagement and Communications", PEOPLE, (ICB,),
         "How the public is involved in designing digital services and told how data is used.",
         C("a plan to involve the public in digital services", "public engagement on digital services",
           ("Citizens involved in designing ICS digital services", "Public information on how data is used",
            "Engagement with groups at risk of digital exclusion", "Feedback on digital services collected and published",
            "Co-design of ICS-wide public services"),
           "new ICS public-facing digital services were co-designed with the public", thresholds=(20, 40, 70, 90),
           assurance="users")),
    Spec("icb_appointment_booking", "Appointment Booking and Check-ins", PEOPLE, (ICB,),
         "Whether citizens can book, change and check in to appointments digitally.",
         C("a plan for digital appointment management across the ICS", "digital appointment management",
           ("Online booking in GP practices", "Hospital appointments in the NHS App",
            "Digital check-in in hospital outpatients", "Online rebooking and cancelling", "Waiting list information online"),
           "appointments in the ICS can be managed through digital channels", thresholds=(20, 50, 75, 90),
           cadence="adoption",
           count=("How many GP practices in the ICS offer online appointment booking?", 1000))),
    Spec("icb_self_triage", "Self-triage Capabilities", PEOPLE, (ICB,),
         "Whether citizens can assess their symptoms and refer themselves online.",
         C("a single approach to online self-triage across the ICS", "online self-triage",
           ("NHS 111 online promoted as the first route", "Online consultation tools in all GP practices",
            "Online self-referral to community services", "Self-triage platforms consolidated",
            "Outcomes of self-triage monitored"),
           "GP practices actively offer online consultation", thresholds=(50, 75, 90, 100), cadence="adoption",
           count=("How many separate self-triage platforms are in use across the ICS?", 100)),
         previous={"measures": ("NHS 111 online promoted as the first route",
                                "Online consultation tools in all GP practices",
                                "Online self-referral to community services", "Outcomes of self-triage monitored"),
                   "coverage": "GP practices have an online consultation tool available"}),
    Spec("icb_digital_front_door", "Digital Front Door and Patient Portals", PEOPLE, (ICB,),
         "Whether citizens have one coherent digital way into services across the ICS.",
         C("a digital front door strategy for the ICS", "the digital front door",
           ("A single patient portal, or portals linked through the NHS App", "NHS login for all patient portals",
            "Services listed in the NHS App", "Portal use monitored", "A plan to reduce duplicate portals"),
           "trusts in the ICS have a patient portal linked to the NHS App", thresholds=(20, 50, 80, 100),
           cadence="adoption", assurance="users"),
         years=(2025,)),
    # Improve Care
    Spec("icb_shared_care_records", "Shared Care Records", CARE, (ICB,),
         "Whether the ICS shared care record covers all partners and is used.",
         C("a shared care record covering the ICS", "the shared care record",
           ("All trusts contribute data", "All GP practices contribute data", "Local authorities contribute data",
            "The shared care record linked to neighbouring ICSs", "Use monitored by organisation"),
           "organisations in the ICS provide data to the shared care record", thresholds=(25, 50, 90, 100),
           cadence="adoption", assurance="partners",
           count=("How many organisations contribute data to the shared care record?", 2000)),
         previous={"measures": ("All trusts contribute data", "All GP practices contribute data",
                                "Local authorities contribute data", "Use monitored by organisation"),
                   "coverage": "organisations in the ICS can view the shared care record"}),
    Spec("icb_care_coordination", "Care Coordination", CARE, (ICB,),
         "How digital tools help coordinate care across places in the ICS.",
         C("digital tools to coordinate care across places in the ICS", "digital care coordination",
           ("Shared care plans for people with complex needs", "Care coordination for most pathways at locality level",
            "Acute capacity and activity data collected at least weekly",
            "Electronic referrals between health and social care",
            "Multidisciplinary team meetings supported by shared data"),
           "priority pathways are coordinated with shared digital tools", assurance="partners")),
    Spec("icb_operational_reporting", "Monitoring and Reporting on Operational Performance", CARE, (ICB,),
         "Whether the ICB monitors operational performance across the ICS with timely data.",
         C("an ICS operational performance dashboard", "operational performance reporting",
           ("Daily data from acute trusts", "Data from community and mental health providers",
            "Primary care activity data", "Automated reporting to regional teams", "Forecasts alongside actuals"),
           "performance measures in ICB board reports are updated automatically", thresholds=(20, 50, 75, 95)),
         previous={"measures": ("Daily data from acute trusts", "Data from community and mental health providers",
                                "Primary care activity data", "Automated reporting to regional teams"),
                   "coverage": "providers in the ICS submit operational data at least weekly"}),
    Spec("icb_data_availability", "ICS Wide Data Availability", CARE, (ICB,),
         "Whether health and care data is available across the ICS for planning and care.",
         C("a data-sharing framework that covers all ICS partners", "ICS-wide data availability",
           ("Data from all NHS trusts available to analysts", "Primary care data available", "Social care data available",
            "Data available within a week of activity", "A data catalogue shared across the ICS"),
           "ICS partners share data under the framework", thresholds=(25, 50, 80, 100), assurance="partners")),
    Spec("icb_analytical_use_cases", "ICS Wide Analytical Use Cases", CARE, (ICB,),
         "Which analytical use cases the ICS supports with shared data: asked for context, not scored.",
         extras=(
             Extra("use_cases", "Which analytical use cases does the ICS support with shared data?",
                   "multiple_choice", ("Population health management", "Elective recovery",
                                       "Urgent and emergency care flow", "Health inequalities",
                                       "Financial planning", "Workforce planning"), required=True),
             Extra("use_case_count", "How many analytical use cases are in active use across the ICS?", "number",
                   bounds=(0, 500), required=True),
             Extra("shared_network", "What percentage of analysts in the ICS work in a shared analytical network?",
                   "percentage"),
             Extra("evaluation", "Are use cases evaluated for their benefit to patients?", "yes_no", required=True),
             Extra("collaboration", "Which statement best describes analytical collaboration across the ICS?",
                   "single_choice", ("Each organisation works alone", "Some joint projects",
                                     "A shared work programme", "A single analytical service for the ICS"),
                   required=True),
             Extra("open_code", "Does the ICS share analytical code openly?", "yes_no"),
         )),
    # Healthy Populations
    Spec("icb_central_data_repository", "Central Data Repositories", POPULATIONS, (ICB,),
         "Whether the ICS has a single, well-fed repository of linked data.",
         C("a central data repository for the ICS", "the central data repository",
           ("Data from all NHS trusts", "Data from primary care", "Data from local authorities",
            "Data refreshed daily or faster", "A single data model across sources"),
           "ICS organisations feed data into the repository", thresholds=(25, 50, 80, 100),
           count=("How many data sources feed the repository?", 1000))),
    Spec("population_health_analytics", "Predictive Analysis for Population Health Needs", POPULATIONS, (ICB,),
         "Whether data is used to predict the health needs of the population of the ICS.",
         C("a population health analytics capability for the ICS", "population health analytics",
           ("Patients segmented by risk", "Data linked across health and care", "Models predicting future demand",
            "Analysis of health inequalities", "Findings used to redesign pathways"),
           "places in the ICS have a population health needs assessment updated in the last 12 months",
           thresholds=(20, 50, 80, 100), assurance="partners"),
         years=(2025,)),
    Spec("icb_care_interventions", "Design of Care Interventions", POPULATIONS, (ICB,),
         "Whether population data shapes the design of care pathways and prevention.",
         C("a process to use population data to design care interventions", "data-driven design of care interventions",
           ("Patient segmentation beyond demographics", "Pathways redesigned using forecast demand",
            "Interventions targeted at health inequalities", "Outcomes of interventions evaluated",
            "Whole-system prevention initiatives"),
           "pathway redesigns used population health data", thresholds=(20, 40, 70, 90), assurance="partners")),
    Spec("icb_innovation", "Innovation", POPULATIONS, (ICB,),
         "How the ICS finds, tests and spreads innovation across its organisations.",
         C("an ICS innovation strategy", "innovation across the ICS",
           ("A process to adopt proven innovations across the ICS", "Links with the health innovation network",
            "Innovation funding shared across organisations", "Evaluations published",
            "Support for smaller organisations to innovate"),
           "innovation projects involved more than one ICS organisation", thresholds=(20, 40, 60, 80),
           assurance="partners",
           count=("How many innovations were adopted by more than one ICS organisation in the last 12 months?", 200))),
    Spec("icb_research_data", "Research Data", POPULATIONS, (ICB,),
         "Whether approved researchers can use ICS data safely.",
         C("a process for approved researchers to use ICS data", "research data",
           ("Access to a secure data environment", "National data opt-outs applied",
            "Public involvement in research data decisions", "Linked data available for research",
            "Research outputs fed back into planning"),
           "approved research requests were completed within the agreed time", thresholds=(25, 50, 75, 90),
           assurance="partners",
           count=("How many research data requests were approved in the last 12 months?", 1000))),
)  # fmt: skip

# Why each domain is not comparable with the previous year (comparable ones share one reason).
REASONS = {
    "sc_digital_sustainability": "New in 2025: asks how digital services reduce their carbon impact.",
    "sc_nhs_app_integration": "New in 2025: asks which services are available through the NHS App.",
    "sc_artificial_intelligence": "New in 2025: asks how AI and automation are governed and used.",
    "sc_digital_governance": "A design authority measure was added in 2025, changing the level 4 and 5 elements.",
    "sc_networking": "2025 asks about clinical Wi-Fi coverage and the analogue line switch-off instead of network connection.",
    "sc_workforce_digital_literacy": "2025 asks about completed system training instead of skills self-assessment, and adds appraisals.",
    "sc_shared_care_records": "2025 asks about use of the shared care record rather than access, and adds shared care plans.",
    "sc_remote_monitoring": "2025 asks about technology-enabled monitoring instead of virtual ward occupancy.",
    "sc_legacy_communications": "Withdrawn in 2025, as most organisations have retired fax machines and pagers.",
    "population_health_analytics": "Moved from providers to ICBs in 2025, as ICBs lead population health management.",
    "icb_enterprise_architecture": "New in 2025: asks how the ICS plans its systems as one architecture.",
    "icb_ddat_workforce": "New in 2025: asks about the ICS digital, data and technology workforce.",
    "icb_digital_front_door": "New in 2025: asks about patient portals and the digital front door.",
    "icb_digital_investment": "Withdrawn in 2025; investment planning is now covered by Digital and Data Strategy.",
    "icb_shared_care_records": "2025 asks which organisations contribute data, not only view it, and adds links to neighbouring ICSs.",
    "icb_self_triage": "2025 asks whether self-triage platforms are consolidated and how many practices actively offer online consultation.",
    "icb_operational_reporting": "2025 asks about automated board reporting and forecasts instead of weekly data submission.",
}
COMPARABLE_REASON = "Same questions and scoring elements as {previous}."

# --- expanding a spec into questions and elements -------------------------------------------


class Flow(list):
    """A list written on one line in the YAML: [acute, community]."""


class FlowDict(dict):
    """A mapping written on one line in the YAML: {op: equals, value: 'Yes'}."""


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _question(qid: str, text: str, answer_type: str, **extra: Any) -> dict:
    """A question mapping in the order an author reads it; unused keys left out."""
    question = {"id": qid, "text": text, "answer_type": answer_type}
    if extra.get("options"):
        question["options"] = list(extra["options"])
    if answer_type == "percentage":
        question.update({"min": 0, "max": 100})
    if extra.get("bounds"):
        question.update({"min": extra["bounds"][0], "max": extra["bounds"][1]})
    question["required"] = extra.get("required", True)
    if extra.get("care_settings"):
        question["care_settings"] = Flow(extra["care_settings"])
    return question


def _element(question: dict, level: int, op: str, value: Any, text: str, score: str | None) -> dict:
    """An element mapping; its id is the question id and the level, so it is stable."""
    element: dict[str, Any] = {"id": f"{question['id']}_l{level}", "level": level}
    if score:
        element["score"] = score
    element["question"] = question["id"]
    element["condition"] = FlowDict(op=op, value=Flow(value) if isinstance(value, list) else value)
    element["text"] = text
    return element


def _cadence(qid: str, c: Content, survey: str) -> tuple[dict, str, list[str], str]:
    """The single-choice question on cadence or adoption, and its level 4 condition and text."""
    subject = c.cadence_subject or c.topic
    if c.cadence == "adoption":
        options = ADOPTION_OPTIONS[survey]
        text = f"Which statement best describes the use of {c.topic} across {ORG[survey]}?"
        met = f"{_cap(SCOPE[survey])} use {c.topic}"
    elif c.cadence == "testing":
        options = TEST_OPTIONS
        text = f"How often is the {subject} tested?"
        met = f"The {subject} is tested at least every six months"
    else:
        options = REVIEW_OPTIONS
        text = f"How often is progress on {subject} reported to {BOARD[survey]}?"
        met = f"Progress on {subject} is reported to {BOARD[survey]} at least quarterly"
    return _question(qid, text, "single_choice", options=options), "in", list(options[-2:]), met


def _assurance(qid: str, c: Content, survey: str) -> tuple[dict, str]:
    """The level 5 yes/no question and what meeting it means."""
    org, topic = ORG[survey], c.topic
    question, met = {
        "benchmark": (
            f"Does {org} benchmark {topic} against peer organisations and act on the results?",
            f"{_cap(topic)} is benchmarked against peer organisations and the results are acted on",
        ),
        "audit": (
            f"Has {topic} been independently audited or assured in the last 12 months?",
            f"{_cap(topic)} has been independently audited or assured in the last 12 months",
        ),
        "partners": (
            f"Is {topic} planned and delivered jointly with partners across the integrated care system?",
            f"{_cap(topic)} is planned and delivered jointly with partners across the ICS",
        ),
        "users": (
            f"Have patients, service users or staff helped to design {topic} in the last 12 months?",
            f"Patients, service users or staff helped to design {topic} in the last 12 months",
        ),
    }[c.assurance]
    return _question(qid, question, "yes_no"), met


def _score_parts(score_id: str, c: Content, survey: str, score: str | None) -> tuple[list, list]:
    """The questions and elements for one score, from its content."""
    org = ORG[survey]
    plan = _question(f"{score_id}_plan", f"Does {org} have {c.plan}?", "yes_no")
    measures = _question(
        f"{score_id}_measures",
        f"Which of these are in place for {c.topic}?",
        "multiple_choice",
        options=c.measures,
    )
    coverage = _question(f"{score_id}_coverage", f"What percentage of {c.coverage}?", "percentage")
    cadence, cadence_op, cadence_value, cadence_met = _cadence(f"{score_id}_{c.cadence}", c, survey)
    assurance, assurance_met = _assurance(f"{score_id}_{c.assurance}", c, survey)
    n = len(c.measures)
    elements = [
        _element(plan, 2, "equals", "Yes", f"{_cap(c.plan)} is in place", score),
        _element(measures, 3, "includes", c.measures[0], f"In place: {c.measures[0]}", score),
        _element(
            measures,
            4,
            "count_at_least",
            n - 1,
            f"At least {n - 1} of the {n} listed measures for {c.topic} are in place",
            score,
        ),
        _element(
            measures,
            5,
            "includes_all",
            list(c.measures),
            f"All {n} listed measures for {c.topic} are in place",
            score,
        ),
        _element(cadence, 4, cadence_op, cadence_value, cadence_met, score),
        _element(assurance, 5, "equals", "Yes", assurance_met, score),
    ]
    op, phrase = ("at_most", "No more than") if c.lower_is_better else ("at_least", "At least")
    for level, threshold in zip((2, 3, 4, 5), c.thresholds, strict=True):
        elements.append(
            _element(
                coverage, level, op, threshold, _coverage_text(phrase, threshold, c.coverage), score
            )
        )
    questions = [plan, measures, coverage, cadence, assurance]
    if c.count:
        count = _question(
            f"{score_id}_count", c.count[0], "number", bounds=(0, c.count[1]), required=False
        )
        questions.append(count)
        if c.count_element:
            level, op, value, text = c.count_element
            elements.append(_element(count, level, op, value, text, score))
    elements.sort(key=lambda e: (e["level"], e["id"]))
    return questions, elements


def _coverage_text(phrase: str, threshold: float, coverage: str) -> str:
    """'At least 80% of sites ...'; at 100% plainly 'All of the sites ...'."""
    if phrase == "At least" and threshold == 100:
        return f"All of the {coverage}"
    return f"{phrase} {threshold}% of {coverage}"


def _domain(spec: Spec, year: int) -> dict:
    """The YAML mapping for one domain in one year."""
    survey = spec.survey
    domain: dict[str, Any] = {
        "id": spec.id,
        "name": spec.name,
        "pillar": spec.pillar,
        "survey": survey,
        "care_settings": Flow(spec.care_settings),
        "scoring": bool(spec.content or spec.scores),
        "description": spec.description,
    }
    parts: list[tuple[str, Content, str | None]] = []
    if spec.content:
        content = replace(spec.content, **spec.previous) if year < YEARS[-1] else spec.content
        parts.append((spec.id, content, None))
    if spec.scores:
        domain["scores"] = [FlowDict(id=sid, name=name) for sid, name, _ in spec.scores]
        parts.extend(
            (sid, content, sid) for sid, content, _ in ((s[0], s[2], None) for s in spec.scores)
        )
    questions: list[dict] = []
    elements: list[dict] = []
    for score_id, content, score in parts:
        more_questions, more_elements = _score_parts(score_id, content, survey, score)
        questions += more_questions
        elements += more_elements
    for extra in spec.extras:
        questions.append(
            _question(
                f"{spec.id}_{extra.key}",
                extra.text,
                extra.answer_type,
                options=extra.options,
                bounds=extra.bounds,
                required=extra.required,
                care_settings=extra.care_settings,
            )
        )
    domain["questions"] = questions
    if elements:
        domain["elements"] = elements
    return domain


def _comparability(year: int, previous: list[dict], current: list[dict]) -> list[dict]:
    """Each domain's status against the previous year, derived by comparing the two years."""
    before = {d["id"]: d for d in previous}
    after = {d["id"]: d for d in current}
    content = ("care_settings", "scoring", "scores", "questions", "elements")
    entries = []
    for domain_id in [*after, *(d for d in before if d not in after)]:
        old, new = before.get(domain_id), after.get(domain_id)
        if old is None:
            status = "new"
        elif new is None:
            status = "discontinued"
        elif old["survey"] != new["survey"]:
            status = "moved"
        elif all(old.get(key) == new.get(key) for key in content):
            status = "comparable"
        else:
            status = "changed"
        reason = (
            COMPARABLE_REASON.format(previous=year - 1)
            if status == "comparable"
            else REASONS[domain_id]
        )
        entries.append(FlowDict(domain=domain_id, status=status, reason=reason))
    return entries


def _domains(year: int) -> list[dict]:
    """Every domain in a year: secondary care then ICB, each in pillar order."""
    order = {pillar: i for i, (pillar, _, _) in enumerate(PILLARS)}
    specs = [s for s in (*SECONDARY_CARE, *ICB_DOMAINS) if year in s.years]
    specs.sort(key=lambda s: (s.survey != "secondary_care", order[s.pillar]))
    return [_domain(spec, year) for spec in specs]


def build_document(year: int) -> dict:
    """The whole methodology document for one year, as plain data in the order it is written."""
    previous = year - 1 if year - 1 in YEARS else None
    domains = _domains(year)
    document: dict[str, Any] = {
        "year": year,
        "previous_year": previous,
        "title": f"NHS Digital Maturity Assessment {year}: methodology",
        "notes": NOTES,
        "attribution": ATTRIBUTION,
        "pillars": [
            FlowDict(id=pid, name=name, order=i, former_name=former)
            for i, (pid, name, former) in enumerate(PILLARS, start=1)
        ],
        "care_settings": [FlowDict(id=cid, name=name, survey=s) for cid, name, s in CARE_SETTINGS],
        "level_descriptions": {
            survey: {pillar: dict(enumerate(texts, start=1)) for pillar, texts in by_pillar.items()}
            for survey, by_pillar in LEVEL_DESCRIPTIONS.items()
        },
        "domains": domains,
    }
    if previous is not None:
        document["comparability"] = _comparability(year, _domains(previous), domains)
    return document


class _Dumper(yaml.SafeDumper):
    """Block-style YAML with no anchors; Flow lists and FlowDict mappings on one line."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent(flow: bool, kind: Callable) -> Callable:
    return lambda dumper, data: kind(dumper, data, flow)


_Dumper.add_representer(
    Flow, _represent(True, lambda d, v, f: d.represent_sequence("tag:yaml.org,2002:seq", v, f))
)
_Dumper.add_representer(
    FlowDict,
    _represent(True, lambda d, v, f: d.represent_mapping("tag:yaml.org,2002:map", v.items(), f)),
)
_Dumper.add_representer(
    dict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), False)
)


def render(year: int) -> str:
    """The YAML text of one year's methodology file, header comment included."""
    header = [
        f"DMA methodology {year}.",
        "Generated by dma_publish.methodology_source (python -m dma_publish.methodology_source):",
        "edit the data there, or edit this file by hand and keep the generator in step.",
        "Question wording, answer options and scoring elements are illustrative; the full",
        "official question set is not public. Loaded and checked by dma_publish.methodology.",
    ]
    body = yaml.dump(
        build_document(year),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        default_flow_style=False,
    )
    return "".join(f"# {line}\n" for line in header) + body


def output_path(year: int, directory: Path = OUTPUT_DIR) -> Path:
    """Where a year's methodology file lives."""
    return directory / f"dma-methodology-{year}.yaml"


def write_all(directory: Path = OUTPUT_DIR, years: Iterable[int] = YEARS) -> list[Path]:
    """Write every year's file to `directory`, returning the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in years:
        path = output_path(year, directory)
        path.write_text(render(year), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Write the methodology files (to a folder given as the only argument, or data/methodology)."""
    from dma_publish.methodology import load_methodologies

    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else OUTPUT_DIR
    for path in write_all(directory):
        print(f"wrote {path}")
    load_methodologies(directory)  # the files must pass the loader's checks
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
