"""Danish labels and messages of the staff console.

Messages shown after a redirect are looked up here by key, so a URL can
never make the console display text of an attacker's choosing.
"""

from __future__ import annotations

from bot.console.accounts import MAX_DISPLAY_NAME, MAX_PASSWORD, MAX_USERNAME

STATUS_LABELS = {
    "booked": "Bestilt",
    "in_progress": "I gang",
    "completed": "Afsluttet",
    "no_answer": "Intet svar – prøv igen",
    "cancelled": "Aflyst",
}
# Why the chat offered the callback (bot.callbacks.store.REASONS).
REASON_LABELS = {
    "case": "Egen sag eller afgørelse",
    "sensitive": "Personlig eller følsom sag",
    "assistance": "Har brug for hjælp til det digitale",
    "asked": "Borgeren bad selv om opringning",
}
VIEW_LABELS = {
    "active": "Alle aktive",
    "today": "I dag",
    "upcoming": "Kommende",
    "overdue": "Overskredne",
    "all": "Alle, også lukkede",
}
# What the citizen meant, for the intents that are not errands (errands are
# named from the knowledge base). tests/unit/test_console_labels.py holds
# every intent of domain.yml to a Danish name.
INTENT_LABELS = {
    "needs_assistance": "Hjælp til det digitale",
    "greet": "Hilsen",
    "goodbye": "Farvel",
    "thanks": "Tak",
    "affirm": "Ja",
    "deny": "Nej",
    "bot_challenge": "Spørger, om det er en robot",
    "out_of_scope": "Uden for emne",
    "personal_matter": "Personlig sag",
    "urgent_danger": "Akut fare",
    "callback_request": "Vil ringes op",
    "cancel_callback": "Vil aflyse en opringning",
    "nlu_fallback": "Ikke forstået",
}
# The inbox's kinds of message (bot/records/inbox.py KINDS), as the filter and each row name them.
INBOX_KINDS = {
    "fallback": "Ikke forstået",
    "out_of_scope": "Uden for emne",
    "declined": "Afslog opringning",
    "corrected": "Rettede emnet",
}
ROLE_LABELS = {"staff": "Sagsbehandler", "editor": "Redaktør", "admin": "Administrator"}
EVENT_LABELS = {
    "booked": "Bestilt af borgeren",
    "cancelled": "Aflyst",
    # A citizen's wrong reference-and-digits attempt to cancel (issue 27); at 5 cancelling that way is locked.
    "cancel_refused": "Aflysning afvist: forkerte cifre",
    "cancel_locked": "Aflysning spærret efter 5 forkerte forsøg",
    "viewed": "Åbnet",
    "status_changed": "Status ændret",
    "note": "Notat",
    "assigned": "Tildelt",
    "rescheduled": "Ny tid",
    "exported": "Eksporteret",
    "inbox_assigned": "Indbakke: tilføjet som træningseksempel",
    "inbox_dismissed": "Indbakke: afvist",
}

FLASH = {
    "taken": "Du har taget opringningen. Den står nu som i gang.",
    "assigned": "Tildelingen er gemt.",
    "status": "Status er gemt.",
    "note": "Notatet er gemt i journalen.",
    "rescheduled": "Den nye tid er gemt, og opringningen står som bestilt igen. Borgeren får ikke besked fra "
    "systemet: fortæl selv borgeren den nye tid.",
    "logged_out": "Du er logget ud.",
    "user_disabled": "Brugeren er deaktiveret og logget ud alle steder.",
    "user_enabled": "Brugeren er aktiveret igen.",
    "municipality_changed": "Brugerens kommune er gemt.",
    "password_changed": "Din adgangskode er skiftet. Du er logget ud alle andre steder.",
    "mfa_enrolled": "Totrinsbekræftelse er slået til. Næste gang du logger ind, skal du også skrive en kode fra "
    "din app. Du er logget ud alle andre steder.",
    "code_expired": "Login-forsøget er udløbet. Log ind igen.",
    "inbox_assigned": "Beskeden er tilføjet som træningseksempel. Kør `kommunebot train`, så assistenten lærer den.",
    "inbox_dismissed": "Beskeden er afvist og fjernet fra indbakken.",
}

ERRORS = {
    "note_required": "Skriv et notat om, hvad der skete. Notatet er påkrævet, når opringningen afsluttes "
    "eller ikke blev besvaret.",
    "note_too_long": "Notatet er for langt. Skriv højst 4.000 tegn.",
    "transition_not_allowed": "Den status kan ikke vælges herfra. Se de mulige statusser nedenfor.",
    "closed": "Opringningen er lukket og kan ikke tildeles.",
    "conflict": "En anden har ændret opringningen, mens du havde den åben. Siden viser nu den nyeste udgave. "
    "Tjek den, og gem din ændring igen. Dit notat er bevaret i feltet.",
    "csrf": "Formularen er udløbet eller kom ikke fra konsollen. Gå tilbage, genindlæs siden, og prøv igen.",
    "forbidden": "Din rolle giver ikke adgang til denne side.",
    "not_found": "Siden eller opringningen findes ikke. Den kan være slettet efter opbevaringsperioden.",
    "db_locked": "Databasen er optaget lige nu. Vent et øjeblik, og prøv igen. Der er ikke gemt noget.",
    "db_missing": "Konsollen kan ikke få forbindelse til databasen. Der er ikke gemt noget. "
    "Kontakt den driftsansvarlige, og giv dem tidspunktet herunder.",
    "internal": "Der skete en fejl i konsollen. Der er ikke gemt noget. Prøv igen, eller kontakt den "
    "driftsansvarlige, og giv dem tidspunktet herunder.",
    "bad_request": "Forespørgslen kunne ikke læses. Der er ikke gemt noget. Gå tilbage, og prøv igen.",
    "bad_credentials": "Brugernavn eller adgangskode er forkert.",
    "username_too_long": f"Brugernavnet er for langt. Et brugernavn har højst {MAX_USERNAME} tegn.",
    "password_too_long": f"Adgangskoden er for lang. En adgangskode har højst {MAX_PASSWORD} tegn.",
    "too_large": "Formularen er for stor til at blive sendt. Der er ikke gemt noget. Gør teksten kortere, "
    "og prøv igen.",
    "wait": "For mange forkerte forsøg. Vent {seconds} sekunder, og prøv igen.",
    "locked": "Brugeren er spærret efter for mange forkerte forsøg. Prøv igen om {minutes} minutter, "
    "eller bed en administrator om en ny adgangskode.",
    "bad_code": "Koden er forkert eller er allerede brugt. Skriv den kode, din app viser nu.",
    "current_password": "Den nuværende adgangskode er forkert.",
    "period": "{problem}",
    "user_invalid": "{problem}",
    "assignee": "Vælg en aktiv sagsbehandler i opringningens kommune.",
    "slot_unavailable": "Den tid kan ikke vælges: den er optaget, ligger uden for tiderne for opringninger, "
    "eller er for tæt på. Vælg en af de viste tider.",
    "reschedule_not_allowed": 'Der kan kun vælges en ny tid, når status er "Intet svar – prøv igen".',
    "inbox_unknown_intent": "Vælg en intent fra listen.",
    "inbox_duplicate": "Eksemplet findes allerede i træningsdata. Afvis beskeden i stedet.",
    "inbox_already_decided": "En anden har allerede behandlet beskeden.",
    "inbox_invalid": "Træningsfilen kunne ikke opdateres sikkert. Intet er ændret. Kør `kommunebot check`.",
}

# Why an account could not be created or changed, by AccountError.code.
ACCOUNT_ERRORS = {
    "username": "Brugernavnet skal være 2-40 tegn: små bogstaver, tal, punktum, bindestreg eller understreg.",
    "username_cpr": "Brugernavnet må ikke være et CPR-nummer. Vælg et andet brugernavn.",
    "display_name": f"Navnet må højst være {MAX_DISPLAY_NAME} tegn.",
    "exists": "Der findes allerede en bruger med det brugernavn.",
    "unknown_user": "Brugeren findes ikke.",
    "role": "Vælg en rolle.",
    "required": "Vælg brugerens kommune. Sagsbehandlere og redaktører hører til én kommune.",
    "admin_only": "Kun administratorer kan høre til alle kommuner. Vælg en kommune.",
    "unknown": "Vælg en kommune fra listen.",
    "too_short": "Adgangskoden skal være mindst 12 tegn. Brug gerne en sætning af flere ord.",
    "too_long": "Adgangskoden må højst være 256 tegn.",
    "has_username": "Adgangskoden må ikke indeholde brugernavnet.",
    "common": "Adgangskoden er for almindelig eller for let at gætte: den findes på lister over lækkede "
    "adgangskoder eller følger et kendt mønster. Brug en længere sætning af flere ord.",
    "unchanged": "Den nye adgangskode skal være en anden end den nuværende.",
    "mismatch": "De to nye adgangskoder er ikke ens. Skriv den samme i begge felter.",
    "mfa": "Totrinsbekræftelse er allerede slået til. Har du mistet din telefon, kan driften nulstille den med "
    "`kommunebot users reset-mfa`.",
    "mfa_not_started": "Start opsætningen af totrinsbekræftelse forfra.",
    "mfa_code": "Koden passede ikke. Tjek, at du har tilføjet nøglen herunder i din app, og skriv den kode, "
    "appen viser nu.",
    "mfa_admins": "Totrinsbekræftelse er for administratorer.",
}
