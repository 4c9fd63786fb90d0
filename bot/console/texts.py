"""Danish labels and messages of the staff console.

Messages shown after a redirect are looked up here by key, so a URL can
never make the console display text of an attacker's choosing.
"""

from __future__ import annotations

STATUS_LABELS = {
    "booked": "Booket",
    "in_progress": "I gang",
    "completed": "Afsluttet",
    "no_answer": "Intet svar – prøv igen",
    "cancelled": "Aflyst",
}
VIEW_LABELS = {
    "active": "Alle aktive",
    "today": "I dag",
    "upcoming": "Kommende",
    "overdue": "Overskredne",
    "all": "Alle, også lukkede",
}
ROLE_LABELS = {"staff": "Sagsbehandler", "editor": "Redaktør", "admin": "Administrator"}
EVENT_LABELS = {
    "booked": "Bestilt af borgeren",
    "cancelled": "Aflyst",
    "viewed": "Åbnet",
    "status_changed": "Status ændret",
    "note": "Notat",
    "assigned": "Tildelt",
    "exported": "Eksporteret",
    "inbox_assigned": "Indbakke: tilføjet til intent",
    "inbox_dismissed": "Indbakke: afvist",
}

FLASH = {
    "taken": "Du har taget opringningen. Den står nu som i gang.",
    "assigned": "Tildelingen er gemt.",
    "status": "Status er gemt.",
    "note": "Notatet er gemt i journalen.",
    "logged_out": "Du er logget ud.",
    "user_disabled": "Brugeren er deaktiveret og logget ud alle steder.",
    "user_enabled": "Brugeren er aktiveret igen.",
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
    "wait": "For mange forkerte forsøg. Vent {seconds} sekunder, og prøv igen.",
    "locked": "Brugeren er spærret efter for mange forkerte forsøg. Prøv igen om {minutes} minutter, "
    "eller bed en administrator om en ny adgangskode.",
    "disabled": "Brugeren er deaktiveret. Kontakt en administrator.",
    "period": "{problem}",
    "user_invalid": "{problem}",
    "assignee": "Vælg en aktiv sagsbehandler.",
    "inbox_unknown_intent": "Vælg en intent fra listen.",
    "inbox_duplicate": "Eksemplet findes allerede i træningsdata. Afvis beskeden i stedet.",
    "inbox_already_decided": "En anden har allerede behandlet beskeden.",
    "inbox_invalid": "Træningsfilen kunne ikke opdateres sikkert. Intet er ændret. Kør `kommunebot check`.",
}
