"""Phrase tables for the offline reply classifier, one readable table per intent and language.

Conventions, applied when the tables are compiled (see `offline.compile_table`):
- patterns match the *folded* reply (lower case, no accents, "ß" read as "s"), but may be written
  with accents: non-ASCII letters in a pattern are folded the same way;
- a space means "any run of whitespace", so a phrase wrapped over two lines still matches;
- every pattern is matched as whole words; write `\\w*` to accept any ending;
- `^`/`$` anchor at line starts/ends.
Keep patterns specific: a table entry that fires on ordinary prose is worse than a missed reply,
because the classifier falls back to `other` (a human looks) when nothing matches.
"""

from __future__ import annotations

Table = dict[str, tuple[str, ...]]

# Tables are laid out densely by hand; one pattern per line would triple the file.
# fmt: off

LANGS = ("en", "de", "fr", "es", "pt", "it")

BOUNCE: Table = {
    "en": (
        r"delivery status notification", r"undeliverable", r"undelivered mail",
        r"mail delivery (failed|failure|subsystem)", r"delivery (has )?failed",
        r"(address|recipient) not found", r"(user|recipient) unknown", r"unknown (user|recipient)",
        r"no such user", r"mailbox (unavailable|not found|does not exist|is full)",
        r"recipient address rejected", r"(message|email|e-mail) (wasn't|was not) delivered",
        r"(could not|couldn't) be delivered", r"returned mail", r"permanent (error|failure)",
        r"550.5\.\d\.\d+", r"5\.1\.1", r"mailer-daemon", r"postmaster",
    ),
    "de": (
        r"unzustellbar", r"nicht zustellbar", r"konnte nicht zugestellt werden",
        r"zustellung (ist )?fehlgeschlagen", r"zustellungsfehler\w*",
        r"adresse (wurde )?nicht gefunden", r"empfänger (unbekannt|nicht gefunden)",
        r"benutzer unbekannt", r"unbekannter (empfänger|benutzer)",
    ),
    "fr": (
        r"non remis", r"échec de (la )?(remise|livraison|distribution)",
        r"n'a pas pu être (remis|délivré|livré|distribué)e?",
        r"adresse introuvable", r"destinataire (introuvable|inconnu)", r"utilisateur inconnu",
    ),
    "es": (
        r"no se (ha podido|pudo|puede) entregar", r"error (en la|de) entrega",
        r"entrega fallida", r"(dirección|destinatario) no (encontrad[oa]|existe)",
        r"usuario desconocido", r"mensaje no entregado",
    ),
    "pt": (
        r"não (foi|é) possível entregar", r"falha (na|de) entrega",
        r"(endereço|destinatário) não encontrado", r"usuário desconhecido",
        r"mensagem não entregue",
    ),
    "it": (
        r"impossibile recapitare", r"non (è stato|è) possibile recapitare", r"non recapitabile",
        r"mancato recapito", r"errore di recapito", r"consegna non riuscita",
        r"indirizzo non trovato", r"destinatario (sconosciuto|non trovato)", r"utente sconosciuto",
    ),
}

UNSUBSCRIBE: Table = {
    "en": (
        r"unsubscrib\w*", r"opt(-| )?(me )?out",
        r"remove (me|us|my (e-?mail|email address|address|details|contact details|data|name)"
        r"|our (e-?mail|address|details)|this (e-?mail|address))",
        r"(remove|delete|drop) .{0,40}from (your|the) (list|outreach|database|mailing list|sequence"
        r"|campaign|crm)",
        r"take (me|us|my (e-?mail|address|name)) off", r"off (your|the) (mailing |e-?mail )?list",
        r"(stop|quit|cease) (e-?mailing|contacting|messaging|spamming|sending (me|us)"
        r"|writing to (me|us)|reaching out)",
        r"(don'?t|do not|never) (ever )?(contact|e-?mail|message|write to|reach out to) (me|us)",
        r"no (more|further) (e-?mails|messages|contact|outreach)",
        r"(delete|erase) (all )?(my|our) (personal )?(data|information|details|info)",
        r"right to (be forgotten|erasure|object)", r"(article|art\.) (17|21)",
        r"leave (me|us) alone", r"do not (contact|call|e-?mail) list",
        r"this is spam", r"(i|we) never (signed up|subscribed|opted in)",
    ),
    "de": (
        r"abmelden", r"abmeldung", r"abbestellen", r"austragen",
        r"tragen sie (mich|uns) (bitte )?(aus|von)",
        r"keine (weiteren |neuen )?(e-?mails|mails|nachrichten|werbung|zuschriften"
        r"|kontaktaufnahmen?|werbemails|anfragen)( mehr)?",
        r"(nicht mehr|nie wieder) (kontaktieren|anschreiben|schreiben|mailen|anrufen)",
        r"(kontaktieren|schreiben|mailen) sie (mich|uns|mir) (bitte )?nicht",
        r"(löschen|entfernen) sie (bitte )?(mich|meine|unsere)",
        r"(meine|unsere) (daten|adresse|e-?mail-?adresse|kontaktdaten) (bitte )?(löschen"
        r"|entfernen)",
        r"aus (ihrem|dem|ihrer|der|eurem|eurer) (e-?mail-?)?(verteiler|liste|mailingliste"
        r"|newsletter|datenbank)", r"widerspreche (hiermit )?(der|jeglicher|jeder)",
        r"werbewiderspruch", r"unterlassen sie", r"das ist spam",
    ),
    "fr": (
        r"désabonn\w*", r"désinscri\w*",
        r"ne (plus|jamais) (me|nous) (contacter|solliciter|écrire)",
        r"ne (me|nous) (contactez|écrivez|sollicitez|envoyez) plus",
        r"(retirez|supprimez|enlevez|effacez)(-| )?(moi|nous|mon adresse|mes coordonnées"
        r"|mes données|mon e-?mail)",
        r"(retirer|supprimer|enlever|effacer) (mon adresse|mes coordonnées|mes données"
        r"|mon e-?mail)",
        r"me (retirer|supprimer|enlever|désinscrire) de",
        r"(arrêtez|cessez) de (m'|me |nous )?(écrire|envoyer|contacter|solliciter|spammer)",
        r"ne (veux|souhaite|désire) plus recevoir", r"droit (à l'oubli|d'opposition)",
        r"c'est du spam",
    ),
    "es": (
        r"(darme|dame|denme|darnos|dadme|darse|me doy) de baja", r"baja de (la|su|vuestra) lista",
        r"solicito (la )?baja",
        r"no (me|nos) (escriban|escribas|contacten|contactes|envíen|envíes|molesten) más",
        r"no (me|nos) vuelvan a (escribir|contactar)",
        r"(dejen|deja|dejad) de (escribir|enviar|contactar|mandar)(me|nos)",
        r"(eliminen|borren|supriman|quiten|saquen)(me)? (de su lista|mis datos"
        r"|mi (correo|dirección|email|contacto))",
        r"(sacarme|quitarme|eliminarme|borrarme) de (su|la|vuestra) (lista|base de datos)",
        r"(eliminar|borrar|suprimir) mis datos",
        r"(quitar|eliminar|borrar|sacar) mi (correo|dirección|email|contacto) de",
        r"no (quiero|deseo) recibir", r"derecho (al olvido|de supresión|de oposición)",
        r"esto es spam",
    ),
    "pt": (
        r"descadastr\w*", r"desinscrever",
        r"cancelar (a )?(minha )?(inscrição|subscrição|assinatura)",
        r"(não|nunca mais) (me|nos) (contactem|contatem|contacte|contate|enviem|mandem|escrevam)",
        r"não (quero|desejo) (mais )?receber",
        r"(parem|pare) de (me )?(enviar|mandar|contactar|contatar|escrever)",
        r"(remova|removam|retire|retirem|tire|tirem|exclua|excluam|apague|apaguem)(-| )?(me"
        r"|meu (e-?mail|endereço|contato|nome)|meus dados|os meus dados)",
        r"me (remova|removam|tire|tirem|retire|retirem|exclua|excluam) da",
        r"(remover|excluir|apagar|retirar|tirar) (o )?meu (e-?mail|endereço|contato|cadastro|nome)",
        r"exclusão dos (meus )?dados", r"isso é spam",
    ),
    "it": (
        r"cancellami", r"cancellatemi", r"cancellarmi", r"disiscri\w*",
        r"cancellate (il mio (indirizzo|contatto|nominativo)|i miei dati)",
        r"non (contattatemi|scrivetemi|mandatemi|inviatemi) più",
        r"non (mi|ci) (contattate|contattare|scrivete|scrivere|mandate|inviate) più",
        r"non (scriver|contattar|mandar|inviar)(mi|ci) più",
        r"(rimuovere|cancellare|eliminare) il mio (indirizzo|contatto|nominativo)",
        r"rimuovetemi", r"rimuovermi", r"toglietemi", r"togliermi", r"eliminatemi",
        r"(eliminate|cancellate) i miei dati", r"rimuovete il mio (indirizzo|contatto)",
        r"(smettete|smettetela|smetti|smettila) di (scriver|contattar|inviar|mandar)(mi|ci)",
        r"non (voglio|desidero) più ricevere", r"diritto all'oblio", r"questo è spam",
    ),
}

# Right before a phrase, these turn it around: "please don't remove me", "no me interesa",
# "I don't think we'd be interested" (one word may sit in between).
NEGATION = r"(don'?t|do not|never|not|nicht|ne|no|não|non)( \w+)? $"

# A reply that is nothing but this word is an unsubscribe (the SMS convention leaks into email).
# \A and \Z, not ^ and $: a lone "Stop" line inside a longer message is not the whole reply.
STOP_ALONE = (
    r"\A\W*(stop|stopp|arrête|arrêtez|basta|alto|pare|parem|unsubscribe|remove|baja"
    r"|abmelden|descadastrar|cancellami)\W*\Z"
)

OUT_OF_OFFICE: Table = {
    "en": (
        r"out of (the )?office", r"ooo", r"on (annual |parental |maternity |paternity |sick "
        r"|medical |sabbatical |study )?leave", r"on (vacation|holiday|holidays|pto|sabbatical"
        r"|a business trip|business travel)", r"(currently|presently) (away|out|travell?ing"
        r"|unavailable|off)", r"away from (the office|my desk|my e-?mail|email)",
        r"(limited|no|intermittent) access to (my )?e-?mail",
        r"(i'?m|i am|i'?ll be|i will be|will be) back(?! (to|in touch|with)\b)",
        r"back in the office",
        r"returning (to the office )?on", r"(will|i'?ll) return on", r"until my return",
        r"(upon|on|after) my return", r"public holiday",
    ),
    "de": (
        r"nicht im büro", r"au(ss|s)er haus", r"au(ss|s)erhalb des büros", r"abwesend",
        r"abwesenheit\w*", r"(im|in) urlaub", r"urlaubsbedingt", r"elternzeit",
        r"krankheitsbedingt", r"auf (geschäfts)?reise", r"dienstreise",
        r"(keinen|eingeschränkten) (zugriff|zugang) auf (meine )?e-?mails",
        r"(eingeschränkt|nicht) erreichbar",
        r"wieder (im büro|erreichbar|da|zurück|im haus|verfügbar|im office)",
        r"nach meiner rückkehr",
    ),
    "fr": (
        r"(suis|serai|sera|est|actuellement) absente?s?",
        r"absente?s? (jusqu'\w*|du|depuis|à partir|cette|pour)", r"absence",
        r"(hors|en dehors) du bureau",
        r"en (congés?|vacances|déplacement|rtt)", r"congé (maternité|parental|maladie)",
        r"de retour", r"je (reviens|rentre) le", r"accès (limité|restreint) (à mes|aux) \w*mails",
        r"(dès|à) mon retour",
    ),
    "es": (
        r"fuera de la oficina", r"(estoy|estaré|me encuentro) (de vacaciones|fuera|ausente"
        r"|de viaje|de baja)", r"de vacaciones", r"ausente", r"ausencia",
        r"baja (por )?(maternidad|paternidad|médica|enfermedad)",
        r"(regreso|vuelvo|volveré|regresaré|de vuelta) (el|a la oficina|a partir)",
        r"(a|tras) mi regreso", r"acceso limitado al correo",
    ),
    "pt": (
        r"fora do escritório", r"(estou|estarei|encontro-me|me encontro) (de férias|ausente|fora"
        r"|em viagem|de licença)", r"(de|em) férias", r"ausente", r"ausência",
        r"licença (maternidade|paternidade|médica)",
        r"(retorno|volto|regresso|retornarei|voltarei|de volta) (no|na|em|dia|a partir|ao)",
        r"(após o meu|quando eu|ao) retorn\w*", r"acesso limitado",
    ),
    "it": (
        r"fuori (ufficio|sede)", r"(sono|sarò) (in ferie|assente|fuori|in viaggio|in vacanza"
        r"|in congedo|in maternità)", r"in ferie", r"in vacanza", r"in viaggio", r"assente",
        r"assenza",
        r"congedo", r"(rientro|rientrerò|sarò di ritorno|di ritorno|tornerò)",
        r"al (mio )?rientro", r"accesso limitato",
    ),
}

AUTO_REPLY: Table = {
    "en": (
        r"auto(matic|mated)?(-| )?(reply|response|generated message)",
        r"this is an automated", r"(do not|don'?t|please do not) reply to this (e-?mail|message)",
        r"(we|i) (have|'ve) received your (e-?mail|message|request|inquiry|enquiry)",
        r"ticket (number|no\.?|#|id)", r"case number",
    ),
    "de": (
        r"automatische (antwort|nachricht|e-?mail)",
        r"automatisch (generiert|erstellt|versandt|versendet)",
        r"(wir haben|habe) ihre (nachricht|anfrage|e-?mail) erhalten",
        r"bitte antworten sie nicht", r"ticketnummer",
    ),
    "fr": (
        r"(réponse|message) automatique", r"(généré|envoyé)e? automatiquement",
        r"nous avons (bien )?reçu votre (message|demande|e-?mail|courriel)",
        r"merci de ne pas répondre", r"numéro de ticket",
    ),
    "es": (
        r"respuesta automática", r"mensaje automático", r"generado automáticamente",
        r"hemos recibido su (mensaje|solicitud|correo|consulta)", r"por favor,? no responda",
        r"número de ticket",
    ),
    "pt": (
        r"resposta automática", r"mensagem automática", r"gerad[ao] automaticamente",
        r"recebemos (a )?(sua|tua) (mensagem|solicitação|e-?mail)", r"por favor,? não responda",
        r"número do (ticket|chamado|protocolo)",
    ),
    "it": (
        r"risposta automatica", r"messaggio automatico", r"generat[oa] automaticamente",
        r"abbiamo ricevuto (la sua|il suo|la tua|il tuo) (messaggio|richiesta|e-?mail)",
        r"(si prega di )?non rispondere a questa", r"numero di ticket",
    ),
}

WRONG_PERSON: Table = {
    "en": (
        r"(not|n't) the (right|correct|best|appropriate) (person|contact|one)",
        r"wrong (person|contact|guy|department)",
        r"no longer (works?|working|with|at|employed|part of)",
        r"(has|have) (since )?left (the|our) (company|organi[sz]ation|business|team|firm)",
        r"(i'?m|i am|i have|i'?ve) (now )?retired",
        r"(not|n't) (responsible|in charge) (for|of)", r"not my (area|department|responsibility)",
        r"(i|we) (don'?t|do not) (handle|deal with|look after|manage) (this|that|these)",
    ),
    "de": (
        r"nicht (der|die) richtige (ansprechpartner(in)?|person|kontakt)", r"nicht zuständig",
        r"(arbeitet|ist) nicht mehr (bei|im|für|in)", r"nicht mehr (im unternehmen|bei uns)",
        r"(hat|habe) (das unternehmen|die firma) (\w+ ){0,3}verlassen",
        r"falscher? ansprechpartner(in)?",
        r"im ruhestand", r"arbeite nicht mehr",
        r"nicht mein (bereich|thema)",
    ),
    "fr": (
        r"pas la bonne personne", r"pas le bon (interlocuteur|contact)",
        r"ne (travaille|fait) plus (chez|pour|partie|dans)",
        r"a quitté (la société|l'entreprise|le groupe|notre)", r"j'ai quitté (la|l'|le)",
        r"(suis|est) (à la|en) retraite",
        r"(ne suis|n'est) pas (en charge|responsable)", r"mauvais interlocuteur",
        r"ne m'occupe pas (de|des|du)", r"(ce n'est|c'est) pas mon (domaine|périmètre|rôle)",
    ),
    "es": (
        r"no soy la persona (adecuada|indicada|correcta|responsable)",
        r"no es la persona (adecuada|indicada|correcta)", r"ya no (trabaja|forma parte|está)",
        r"(dejó|ha dejado) la (empresa|compañía)", r"no (me encargo|soy responsable) de",
        r"persona equivocada", r"dejé la (empresa|compañía)", r"(estoy|está) jubilad[oa]",
    ),
    "pt": (
        r"não sou a pessoa (certa|indicada|responsável|correta)",
        r"não é a pessoa (certa|indicada|correta)", r"(já )?não trabalha mais",
        r"já não trabalha", r"não faz mais parte", r"(saiu|deixou) (da|a) empresa",
        r"não sou (o )?responsável", r"pessoa errada",
        r"não (trabalho|atuo|cuido) (com|nessa|nesta|na|disso)", r"saí da empresa",
        r"(estou|está) aposentad[oa]",
    ),
    "it": (
        r"non sono la persona (giusta|corretta|adatta|indicata)",
        r"non è la persona (giusta|corretta)", r"non lavora più", r"non fa più parte",
        r"ha lasciato (l'azienda|la società)", r"persona sbagliata",
        r"non (mi occupo|sono responsabile|è di mia competenza)",
        r"non sono (io )?(il|la) (referente|responsabile)", r"in pensione", r"non lavoro più",
        r"ho lasciato (l'azienda|la società)",
    ),
}

# Handing over to someone else: enough on their own, even when no name or address follows.
REFERRAL: Table = {
    "en": (
        r"my colleagues?", r"(i'?ve|i have|i'?m|i am|i'?ll|i will) (forwarded|forwarding|passed"
        r"|passing|cc'?d|cc'?ing|copied|copying|looped in|looping in|added)",
        r"(forwarded|forwarding|passed) (this|your (e-?mail|message|note)) (on )?(to|along)",
        r"(is|would be) the (right|best|correct) (person|contact)",
        r"the right person (is|would be|to talk to)",
        r"(who|he|she|they) (handles|is responsible for|looks after|owns|runs) (this|that|these)",
    ),
    "de": (
        r"mein(e|en)? kolleg(e|in|en)", r"weitergeleitet", r"leite (ihre|die|deine) \w+ weiter",
        r"in (kopie|cc) gesetzt", r"(ist|wäre) (der|die) richtige ansprechpartner(in)?",
        r"(ist|sind) (dafür |hierfür )?zuständig", r"ansprechpartner(in)? (ist|wäre|dafür)",
        r"wenden sie sich (bitte )?an",
    ),
    "fr": (
        r"mon collègue", r"ma collègue", r"mes collègues",
        r"(j'ai|je vous ai|je l'ai) (transféré|transmis|fait suivre|mis en copie)",
        r"je (transfère|transmets|fais suivre|mets en copie)", r"en copie",
        r"(est|serait) (la bonne personne|le bon interlocuteur|la bonne interlocutrice)",
        r"(est|sont) (en charge|responsables?) (de|du|des)",
        r"(adressez-vous|veuillez vous adresser|merci de vous adresser) à",
    ),
    "es": (
        r"mi (compañero|compañera|colega)", r"(he|le he) (reenviado|pasado|copiado|trasladado)",
        r"(reenvío|paso|traslado) (su|tu) (correo|mensaje|email)", r"en copia",
        r"(es|sería) la persona (adecuada|indicada|correcta)",
        r"(se encarga|es responsable|lleva) de", r"(lo|la|los|las|esto lo) (gestiona|lleva|maneja)",
    ),
    "pt": (
        r"meu colega", r"minha colega", r"(encaminhei|encaminhando|encaminharei|repassei"
        r"|repassando|copiei|copiando)", r"em cópia",
        r"(é|seria) a pessoa (certa|indicada|correta)", r"(é|são) (o|a) responsáve(l|is)",
        r"(cuida|trata|é responsável) (disso|desse|dessa|deste|desta|de)",
    ),
    "it": (
        r"il mio collega", r"la mia collega", r"i miei colleghi",
        r"(ho inoltrato|inoltro|ho girato|giro|ho messo in copia|metto in copia)", r"in copia",
        r"(è|sarebbe) la persona (giusta|corretta|adatta|indicata)",
        r"(è|sono) (il|la) (referente|responsabile)", r"si occupa (di|lui|lei)",
        r"(si rivolga|rivolgetevi|rivolgersi|può rivolgersi) (a|al|alla|ai)",
        r"(al|alla|dal|dalla|il mio|la mia) collega",
    ),
}

# "Contact ..." only counts as a referral when a name or an address follows.
REFERRAL_CONTACT: Table = {
    "en": (
        r"(contact|reach out to|talk to|speak (to|with)|get in touch with|write to)"
        r"(?! (me|us|you)\b)", r"(adding|looping in|loop in|cc'?ing|copying in)",
    ),
    "de": (
        r"(kontaktieren sie|schreiben sie (bitte )?an|wenden sie sich (bitte )?an)"
        r"(?! (mich|uns)\b)",
    ),
    "fr": (r"(contactez|contacter|écrivez à|écrire à)(?! (moi|nous)\b)",),
    "es": (
        r"(contacte|contacten|contactar|escriba|escriban) (a|con)",
        r"(póngase|ponerse|pónganse) en contacto con",
    ),
    "pt": (r"(entre|entrem|entrar) em contato com", r"(contate|contatem|fale|falem) com"),
    "it": (r"(contattare|contatti|contattate|scrivete a|scriva a)(?! (me|noi)\b)",),
}

NOT_INTERESTED: Table = {
    "en": (
        r"(not|n't) (really |currently |at all |be )?interested", r"(isn't|is not|not) of interest",
        r"no interest", r"no,? thanks?( you)?", r"thanks?,? but no", r"(i|we)'?(ll| will) pass",
        r"pass on this", r"not (right )?now", r"not at (this time|the moment|this point|present)",
        r"(not|isn'?t|aren'?t) (really )?(a (good |great )?fit|for us|a (top )?priority"
        r"|the right time)", r"bad timing",
        r"(we'?re|we are) (all )?(set|covered)", r"happy with (our|the) (current|existing)",
        r"already (have|use|using|work with|working with|partner with|signed)",
        r"(don'?t|do not) (need|require)", r"no need for", r"not looking", r"no budget",
        r"(maybe|perhaps|possibly) (next|later|in (a few|some|the new|the next|\w+) (months?"
        r"|weeks?|quarters?|years?))", r"(circle|check|touch) (back|base) (in|next|later|after)",
        r"hold(ing)? off", r"(not|n't) (going|planning|looking) to (buy|change|switch|invest)",
        r"(reach out|try|ping) (me |us )?(again )?(next|in|later|after) (year|quarter|month"
        r"|q[1-4]|\w+ months)", r"^no\W*$", r"not something (we|i) need",
        r"(decided|chose|opted) (to (build|go with|stay with|stick with)|against)",
        r"thanks anyway",
    ),
    "de": (
        r"kein(erlei)? interesse", r"nicht interessiert", r"(kein|keinen) bedarf", r"nein,? danke",
        r"danke,? (aber )?nein", r"(haben|nutzen|verwenden|arbeiten) (bereits|schon)",
        r"(derzeit|aktuell|im moment|zurzeit|momentan|gerade) (nicht|kein)",
        r"passt (gerade |aktuell |derzeit |momentan )?nicht", r"kein budget",
        r"vielleicht (im nächsten|nächstes|später|in ein paar)", r"nicht (relevant|für uns)",
        r"(sind|bin) (gut )?versorgt", r"brauchen wir nicht", r"nicht der richtige zeitpunkt",
        r"melden sie sich (gerne )?(im|in|nächstes) \w+ (wieder|nochmal|noch einmal)",
        r"(wir|ich) verzichte(n)?", r"kein thema für uns", r"(sind|bin) (\w+ ){0,5}zufrieden",
    ),
    "fr": (
        r"(ne (suis|sommes) )?pas (du tout )?intéressée?s?", r"ne (m'|nous )intéresse pas",
        r"aucun intérêt", r"pas d'intérêt", r"non,? merci", r"merci,? mais non",
        r"pas (pour le moment|pour l'instant|maintenant|en ce moment|le moment)",
        r"pas (de )?besoin", r"(avons|utilisons|travaillons) déjà", r"pas de budget",
        r"peut-être (plus tard|l'année prochaine|au prochain trimestre|dans quelques mois"
        r"|à la rentrée)", r"pas (une )?priorit(é|aire)", r"ne nous concerne pas",
        r"pas pertinent", r"pas (un sujet|d'actualité)", r"pas de notre ressort",
        r"(sommes|suis) (très )?satisfaite?s? (de|avec) (notre|nos|mon)",
    ),
    "es": (
        r"no (me|nos) interesa", r"no (estoy|estamos) interesad[oa]s?", r"sin interés",
        r"no,? gracias", r"gracias,? pero no", r"(ahora|por ahora|en este momento|de momento) no",
        r"no (por ahora|es el momento|en este momento)", r"ya (tenemos|contamos|usamos|trabajamos)",
        r"no (lo )?necesitamos", r"(quizás|quizá|tal vez) (más adelante|el próximo|en unos meses"
        r"|el año que viene)", r"(sin|no tenemos) presupuesto", r"no es (una )?prioridad",
        r"no es de (nuestro|mi) interés", r"no (nos )?encaja", r"(estamos|estoy) content[oa]s? con",
    ),
    "pt": (
        r"não (tenho|temos) interesse", r"não (me|nos) interessa", r"sem interesse",
        r"não,? obrigad[oa]", r"obrigad[oa],? mas não", r"(agora|no momento|por enquanto) não",
        r"não (é o momento|agora|no momento|por enquanto)",
        r"já (temos|usamos|trabalhamos|utilizamos|possuímos)", r"não precisamos",
        r"(talvez|quem sabe) (mais (para a )?frente|mais tarde|no próximo|no ano que vem|daqui a)",
        r"sem orçamento", r"não é (uma )?prioridade", r"não é do (nosso|meu) interesse",
        r"(estamos|estou) satisfeit[oa]s? com",
    ),
    "it": (
        r"non (mi|ci) interessa", r"non (siamo|sono) interessat[oaie]", r"nessun interesse",
        r"no,? grazie", r"grazie,? ma no", r"(al momento|per ora|adesso|per il momento) no",
        r"non (ora|adesso|al momento|per ora|è il momento)", r"(abbiamo|usiamo|utilizziamo) già",
        r"non (ne )?abbiamo bisogno", r"non ci serve", r"(nessun|non abbiamo) budget",
        r"(forse|magari) (più avanti|il prossimo|in futuro|tra qualche|l'anno prossimo)",
        r"non è una priorità", r"non è di (nostro|mio) interesse",
        r"(siamo|sono) (molto )?soddisfatt[oaie] (di|del|della|con)",
    ),
}

INTERESTED: Table = {
    "en": (
        r"(i'?m|i am|we'?re|we are|i'?d be|we'?d be|would be|definitely|very|genuinely|really)"
        r" interested", r"interested in (learning|hearing|seeing|a demo|a call|a chat|talking"
        r"|chatting|trying)", r"sounds (good|great|interesting|promising|like a plan)",
        r"let'?s (talk|chat|connect|meet|set (up|something up)|schedule|book|find a time|do it"
        r"|hop on)", r"send (me|us|over)( some| a few| your)? (times|a time|time slots|slots"
        r"|availability|an? (calendar |meeting )?invite|a link|your calendar|more info"
        r"|more information|details|the deck|a deck|a proposal|a quote|some info)",
        r"happy to (chat|talk|connect|meet|hop on|take a (call|look)|learn more|jump on)",
        r"(book|schedule|set up|arrange) (a|an|the) (call|meeting|demo|chat|time|intro)",
        r"tell me more", r"(i'?d|i would|we'?d|we would) (like|love|be happy|be keen) to (learn"
        r"|hear|know|see|chat|talk|schedule|set|book|meet|connect|try|get)",
        r"(does|would|could) (monday|tuesday|wednesday|thursday|friday|tomorrow|next week"
        r"|this week)( \w+)? work", r"how about (monday|tuesday|wednesday|thursday|friday"
        r"|tomorrow|next week)", r"(i'?m|i am|we'?re|we are) (free|available) (on|next|this"
        r"|tomorrow|monday|tuesday|wednesday|thursday|friday)", r"works for me",
        r"calendly", r"cal\.com", r"my calendar", r"(grab|book|pick) (a )?(slot|time)",
        r"(give me a |feel free to )call", r"call me",
        r"yes,? (please|definitely|absolutely|let'?s|interested|we are|i am)", r"count me in",
        r"worth (a (chat|call|conversation|look)|exploring|discussing)",
        r"(what'?s|what is) your availability", r"(i'?m|we'?re) keen",
        r"looking forward to (chatting|talking|speaking|our call|connecting)",
    ),
    "de": (
        r"ja,? (gerne|bitte|sehr gerne|klar|interessant)", r"(sehr )?gerne,? (ja|ein|einen|mehr"
        r"|näher|per|telefonisch|zum|kurz|nächste|nächsten|am|können|würde|lassen)",
        r"(bin|sind|wären?|wäre) (sehr |durchaus |grundsätzlich )?interessiert",
        r"(habe|haben|hätte|hätten) (gro(ss|s)es |durchaus |grundsätzlich )?interesse",
        r"klingt (gut|interessant|spannend|vielversprechend)",
        r"(lassen sie|lass) uns (gerne )?(sprechen|telefonieren|reden|austauschen|einen termin)",
        r"(schicken|senden|schick|sende) (sie )?(mir|uns) (gerne |bitte |doch )?(einen termin"
        r"|termine|terminvorschläge|infos|informationen|mehr|unterlagen|details|einen link"
        r"|ihre verfügbarkeit|eine einladung|ein angebot)",
        r"(termin|call|telefonat|gespräch|austausch) (vereinbaren|ausmachen|finden|einplanen)",
        r"(mehr|näheres) (erfahren|hören|wissen)", r"erzählen sie mir mehr", r"passt (mir|uns) gut",
        r"hört sich (gut|interessant|spannend) an",
        r"rufen sie mich (gerne |doch |bitte )?(\w+ )?an",
    ),
    "fr": (
        r"oui,? (intéressée?|avec plaisir|volontiers|pourquoi pas|bien sûr|ça m'intéresse)",
        r"(je suis|nous sommes) (très |vraiment )?intéressée?s?", r"(ça|cela) (m'|nous )intéresse",
        r"avec plaisir", r"volontiers", r"(parlons|discutons)-en",
        r"(envoyez|proposez|transmettez)(-moi|-nous)? (des créneaux|un créneau|vos disponibilités"
        r"|plus d'informations|la documentation|une invitation|un lien)",
        r"(prenons|fixons|calons|planifions|caler|fixer) (un )?(rendez-vous|appel|créneau"
        r"|échange)", r"ça me (dit|tente)", r"en savoir plus", r"je suis disponible",
        r"pourquoi pas", r"appelez-moi", r"bonne idée", r"je veux bien",
    ),
    "es": (
        r"sí,? (me interesa|nos interesa|claro|por supuesto|con gusto|hablemos)",
        r"(me|nos) interesa", r"(estoy|estamos) (muy )?interesad[oa]s?",
        r"suena (bien|interesante|genial)", r"hablemos", r"con gusto", r"encantad[oa]",
        r"(envíe|envía|manda|mande|envíen|manden)(me|nos) (horarios|su disponibilidad"
        r"|tu disponibilidad|más información|info|una invitación|un enlace|detalles)",
        r"(agendemos|agendar|programemos|programar|coordinemos|coordinar|organicemos) (una )?"
        r"(llamada|reunión|demo|cita)", r"me gustaría (saber|conocer|hablar|agendar|ver)",
        r"cuenten? conmigo", r"me encantaría", r"(llámame|llámeme)", r"(tienes|tiene) hueco",
        r"(ver|agendar|hacer) una demo",
    ),
    "pt": (
        r"sim,? (tenho interesse|temos interesse|claro|com certeza|vamos)",
        r"(tenho|temos) (muito )?interesse", r"(me|nos) interessa",
        r"(estou|estamos) (muito )?interessad[oa]s?", r"parece (bom|interessante|ótimo|uma boa)",
        r"vamos (conversar|falar|marcar|agendar)", r"com (certeza|prazer)",
        r"(envie|mande|envia|manda)(-me|-nos)? (horários|sua disponibilidade|mais informações"
        r"|mais detalhes|um convite|um link)", r"(podemos|poderíamos) (conversar|falar|marcar"
        r"|agendar)", r"gostaria de (saber mais|conversar|agendar|marcar|conhecer)",
        r"(pode )?me ligar", r"me liga",
    ),
    "it": (
        r"sì,? (mi interessa|ci interessa|certo|volentieri|con piacere|sentiamoci)",
        r"(mi|ci) interessa", r"(sono|siamo) (molto )?interessat[oaie]",
        r"(mi )?sembra (interessante|una buona idea|buono)", r"sentiamoci", r"parliamone",
        r"(mandatemi|mandami|inviatemi|inviami|mi mandi|mi invii|mandateci|inviateci) (degli orari"
        r"|la disponibilità|più informazioni|maggiori informazioni|qualche orario|dettagli"
        r"|un invito|un link)", r"(fissiamo|organizziamo|fissare|organizzare) (una call"
        r"|un incontro|una chiamata|una demo|un appuntamento)", r"volentieri", r"con piacere",
        r"vorrei (saperne di più|sapere di più|fissare|organizzare|capire meglio)",
        r"non vedo l'ora", r"(mi chiami|chiamatemi|chiamami)",
        r"(mi|ci) (può|potrebbe) interessare",
        r"mi (manda|mandi|invia|invii) (una presentazione|del materiale|più informazioni)",
    ),
}

# Asking about price is a question even without a question mark.
PRICING: Table = {
    "en": (r"how much", r"pricing", r"prices?", r"costs?", r"quote", r"per (seat|user)",),
    "de": (r"was kostet", r"wie ?viel", r"preis\w*", r"kosten"),
    "fr": (r"combien", r"prix", r"tarifs?", r"tarification", r"coût\w*"),
    "es": (r"cuánto cuesta", r"cuánto", r"precios?", r"coste", r"costos?", r"tarifas?"),
    "pt": (r"quanto custa", r"preços?", r"custos?"),
    "it": (r"quanto costa", r"prezz[oi]", r"cost[oi]", r"tariff[ae]"),
}

# Words that make a sentence with a "?" a real question rather than a rhetorical tag.
QUESTION_WORDS: Table = {
    "en": (
        r"what", r"how", r"who", r"which", r"where", r"when", r"why", r"do you", r"does",
        r"can (you|it|we|i)", r"could you", r"is (it|there|this)", r"are you", r"would (it|you)",
    ),
    "de": (
        r"was", r"wie", r"wer", r"welche\w*", r"wo", r"wann", r"warum", r"gibt es",
        r"(können|haben|bieten) sie", r"ist das", r"funktioniert", r"lässt sich",
    ),
    "fr": (
        r"qu'est-ce", r"quel\w*", r"comment", r"qui", r"où", r"quand", r"pourquoi", r"est-ce",
        r"est-ce que", r"(pouvez|avez|proposez)-vous", r"fonctionne",
    ),
    "es": (
        r"qué", r"cómo", r"quién", r"cuál\w*", r"dónde", r"cuándo", r"por qué", r"pueden",
        r"tienen", r"ofrecen", r"funciona",
    ),
    "pt": (
        r"o que", r"como", r"quem", r"qual", r"quais", r"onde", r"quando", r"por que", r"podem",
        r"vocês", r"funciona", r"é possível",
    ),
    "it": (
        r"cosa", r"che", r"come", r"chi", r"qual\w*", r"dove", r"quando", r"perché", r"potete",
        r"avete", r"offrite", r"funziona", r"è possibile",
    ),
}

# A bare "yes" only means interested when our last message asked something.
AFFIRMATIVE = (
    r"^\W*(yes|yeah|yep|sure|absolutely|definitely|ja|gerne|klar|oui|volontiers|bien sûr|sí"
    r"|claro|por supuesto|sim|com certeza|certo|certamente|volentieri)\b"
)

# Frequent, distinctive words per language: enough to pick date order and say which table hit.
STOPWORDS: Table = {
    "en": (r"the", r"and", r"you", r"we", r"is", r"are", r"not", r"thanks", r"thank", r"please",
           r"will", r"would", r"i'm", r"our", r"with", r"this", r"have", r"back", r"office"),
    "de": (r"und", r"ich", r"nicht", r"sie", r"wir", r"der", r"die", r"das", r"ist", r"bitte",
           r"danke", r"mit", r"für", r"bin", r"mich", r"uns", r"ihre", r"ihnen", r"gerne"),
    "fr": (r"je", r"vous", r"nous", r"pas", r"les", r"est", r"et", r"merci", r"des", r"une",
           r"pour", r"suis", r"ne", r"au", r"du", r"avec", r"mon", r"votre", r"bonjour"),
    "es": (r"el", r"los", r"las", r"y", r"gracias", r"para", r"estoy", r"mi", r"es", r"con",
           r"por", r"hola", r"usted", r"muchas", r"pero", r"estamos", r"nos"),
    "pt": (r"os", r"não", r"obrigado", r"obrigada", r"para", r"estou", r"meu", r"minha", r"é",
           r"com", r"você", r"vocês", r"olá", r"estamos", r"mas", r"em", r"ao"),
    "it": (r"il", r"non", r"che", r"grazie", r"per", r"sono", r"mio", r"è", r"di", r"con",
           r"ciao", r"buongiorno", r"siamo", r"gli", r"della", r"ma", r"ci"),
}
# fmt: on
