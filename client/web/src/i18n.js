// The interface's words, in French (the default) and English; the choice is kept in this
// browser. Times are shown in the browser's own time zone, as a reader says them
// ("1er décembre à 21 h 59"). Two sources are merged in: the committee's vocabulary
// (domain/vocabulary.json, the same words as the minutes and the exports) and the
// translation of every error code the server can answer (error-messages.json; a test checks
// that it covers the server's registry).
import vocabulary from '../../../domain/vocabulary.json'
import errorMessages from './error-messages.json'

const KEY = 'palabre.lang'

const fr = {
  'app.title': 'Palabre',
  'app.skip': 'Aller au texte',
  'app.loading': 'Chargement…',
  'lang.switch': 'English',
  'lang.short': 'EN',
  'lang.switchLabel': 'Switch to English',
  'auth.signOut': 'Se déconnecter',
  'auth.signOutShort': 'Quitter',
  'auth.signOutUnsaved': 'Des modifications ne sont pas encore enregistrées. Se déconnecter quand même ?',
  'auth.title': 'Connexion',
  'auth.intro': 'Ouvrez le lien d’invitation que vous avez reçu. Vous pouvez aussi coller ici votre clé d’accès.',
  'auth.token': 'Clé d’accès',
  'auth.submit': 'Se connecter',
  'auth.invalid': 'Ce lien ou cette clé n’est pas (ou plus) valable. Demandez un nouveau lien à la coordination.',
  'auth.noRole': 'Vous n’avez pas de rôle sur ce référentiel.',
  'auth.unknownDocument': 'Ce référentiel n’existe pas.',
  'auth.again': 'Se reconnecter',
  'documents.title': 'Vos référentiels',
  'documents.none': 'Aucun référentiel pour le moment.',
  'tabs.label': 'Sections',
  'tabs.text': 'Texte',
  'tabs.committee': 'Comité',
  'tabs.history': 'Historique',
  'tabs.exports': 'Exports',
  'load.failed': 'Cette partie n’a pas pu être chargée.',
  'load.retry': 'Réessayer',
  'status.saved': 'Enregistré',
  'status.saving': 'Enregistrement…',
  'status.savingN': 'Enregistrement… ({n} caractère(s) en attente)',
  'status.offline': 'Hors ligne',
  'status.offlineN': 'Hors ligne — {n} caractère(s) gardé(s) dans ce navigateur, pas encore enregistré(s)',
  'status.closed': 'Connexion refusée (code {code})',
  'status.leave': 'Des modifications ne sont pas encore enregistrées.',
  'role.coordinator': 'coordination',
  'role.editor': 'rédaction',
  'role.commenter': 'commentaires',
  'role.observer': 'lecture seule',
  'me.as': '{name} ({organisation}) — {role}',
  'editor.label': 'Texte du référentiel (Markdown)',
  'editor.placeholder': 'Commencez à écrire ici…',
  'editor.readOnly': 'Lecture seule : votre rôle ne permet pas de modifier le texte.',
  'editor.readOnlyComment': 'Lecture seule : votre rôle ne permet pas de modifier le texte. Sélectionnez un passage pour le commenter.',
  'side.label': 'Panneau latéral',
  'side.preview': 'Aperçu',
  'side.comments': 'Commentaires ({n})',
  'side.sources': 'Sources ({n})',
  'sources.balance': 'Équilibre des sources',
  'sources.totals': 'Entretiens avec des structures de France : {fr} ; du Togo : {tg}.',
  'sources.column.section': 'Section',
  'sources.column.interviews': 'Entretiens',
  'sources.column.france': 'France',
  'sources.column.togo': 'Togo',
  'sources.preamble': '(introduction)',
  'sources.interviews': 'Entretiens ({n})',
  'sources.none': 'Aucun entretien enregistré.',
  'sources.quotable': 'citable',
  'sources.notQuotable': 'à ne pas citer',
  'sources.notes': 'Notes',
  'sources.notesConfidential': 'Notes (confidentielles)',
  'sources.notesHidden': 'Notes confidentielles : réservées à la coordination et aux personnes qui ont mené l’entretien.',
  'sources.linkSelection': 'Relier la sélection à cet entretien',
  'sources.selectFirst': 'Sélectionnez un passage du texte pour le relier à un entretien.',
  'sources.goTo': 'Aller au passage',
  'sources.detached': 'passage supprimé ou modifié',
  'sources.organisations': 'Structures',
  'sources.interviewed': 'entretien mené',
  'sources.notInterviewed': 'pas d’entretien',
  'sources.citedIn': 'citée dans : {sections}',
  'sources.notCited': 'pas encore citée',
  'changes.title': 'Note d’évolution',
  'changes.proposed': 'Ce que change la proposition (note d’évolution)',
  'changes.since': 'Évolutions depuis la v{n}',
  'changes.loading': 'Chargement…',
  'changes.none': 'Aucune version validée avant celle-ci : pas de note d’évolution.',
  'outline.title': 'Plan',
  'outline.summary': 'Plan ({n} sections)',
  'outline.empty': 'Pas encore de titres.',
  'toolbar.label': 'Mise en forme',
  'toolbar.h1': 'Titre de section',
  'toolbar.h2': 'Sous-titre',
  'toolbar.bold': 'Gras',
  'toolbar.italic': 'Italique',
  'toolbar.bullets': 'Liste à puces',
  'toolbar.numbers': 'Liste numérotée',
  'toolbar.link': 'Lien',
  'toolbar.boldText': 'texte en gras',
  'toolbar.italicText': 'texte en italique',
  'toolbar.linkText': 'texte du lien',
  'toolbar.linkPrompt': 'Adresse du lien :',
  'presence.title': 'Personnes connectées',
  'presence.count': '{n} présent·e·s',
  'presence.count.one': '{n} présent·e',
  'presence.organisations': '{fr} structures FR · {tg} TG',
  'presence.organisations.one': '{fr} structure FR · {tg} TG',
  'presence.show': 'Voir qui est là',
  'presence.typing': '✎ {names}',
  'presence.typingMore': '{names} et {n} autre(s)',
  'presence.typingCount': '✎ {n} en train d’écrire',
  'presence.where': '{name} (« {section} »)',
  'presence.writes': 'écrit dans « {section} »',
  'presence.writesTop': 'écrit (début du texte)',
  'presence.you': '(vous)',
  'presence.groupCount': '{organisations} structure(s), {people} personne(s)',
  'comments.onSelection': 'Commenter la sélection',
  'comments.selectFirst': 'Sélectionnez un passage du texte pour le commenter.',
  'comments.readOnly': 'Votre rôle permet de lire les commentaires, pas d’en écrire.',
  'comments.body': 'Votre commentaire',
  'comments.send': 'Publier',
  'comments.reply': 'Répondre',
  'comments.resolve': 'Marquer comme résolu',
  'comments.reopen': 'Rouvrir',
  'comments.goTo': 'Aller au passage',
  'comments.detached': 'Le passage commenté a été supprimé ou modifié.',
  'comments.none': 'Aucun commentaire.',
  'comments.filter': 'Filtrer les commentaires',
  'comments.open': 'Ouverts',
  'comments.resolved': 'Résolus',
  'comments.all': 'Tous',
  'comments.tooLong': 'Le passage sélectionné est trop long pour un commentaire (2 000 caractères au plus).',
  'common.cancel': 'Annuler',
  'meeting.none': 'Aucune séance en cours',
  'meeting.waiting': 'La coordination ouvrira la séance.',
  'meeting.title': 'Intitulé de la séance',
  'meeting.date': 'Date',
  'meeting.open': 'Ouvrir la séance',
  'meeting.current': 'Séance en cours : {title}',
  'meeting.row': '{organisation} ({country}) : ',
  'meeting.attendance': 'Présences',
  'meeting.saveAttendance': 'Enregistrer les présences',
  'meeting.nobody': 'Aucune présence enregistrée.',
  'meeting.attendanceCount': 'Présences : {n} personne(s), {organisations} structure(s)',
  'meeting.presentCount': '{n} présent·e·s',
  'meeting.presentCount.one': '{n} présent·e',
  'meeting.close': 'Clore la séance',
  'proposal.none': 'Aucune proposition ouverte',
  'proposal.pinsNow': 'Une proposition fige le texte tel qu’il est maintenant.',
  'proposal.label': 'Intitulé de la proposition',
  'proposal.open': 'Soumettre le texte actuel au vote',
  'proposal.current': 'Proposition n° {number} : {label}',
  'proposal.when': 'Texte proposé le {when}',
  'proposal.whenUnknown': 'Texte proposé pendant la séance',
  'proposal.close': 'Clore le vote et décider',
  'proposal.diffFrom': 'Ce qui change depuis la version validée v{n}',
  'proposal.diffFromEmpty': 'Tout le texte est nouveau (aucune version validée)',
  'proposal.text': 'Lire le texte proposé',
  'proposal.loadingText': 'Chargement du texte proposé…',
  'check.title': 'Pour vérifier (empreinte du texte)',
  'check.sha256': 'Empreinte SHA-256 du texte : {hash}',
  'check.point': 'Point de l’historique : {n}',
  'check.chain': 'Registre des événements scellé par la décision : {head} (événement n° {position})',
  'vote.label': 'Votre avis',
  'vote.as': 'Voter « {choice} »',
  'vote.reason': 'Motif (obligatoire pour une objection)',
  'vote.reasonNeeded': 'Une objection doit être motivée : écrivez le motif.',
  'vote.mine': 'Avis de votre structure : {vote}',
  'vote.mineSecret': 'Votre structure a donné son avis (scrutin secret).',
  'vote.notVoter': 'Vous ne votez pas sur ce référentiel.',
  'tally.title': 'Avis exprimés',
  'tally.count': '{choice} : {n}',
  'tally.voter': '{organisation} ({country}) — {member} : ',
  'tally.secret': 'Scrutin secret : {n} structure(s) ont donné leur avis.',
  'tally.counted': '{voted} structure(s) sur {eligible} ont donné leur avis',
  'tally.none': 'Aucun avis pour le moment.',
  'rule.summary': 'Règle : {mode}, quorum {quorum} %, {ballot}',
  'rule.consentMeans': 'adoptée si personne ne fait objection',
  'rule.majorityMeans': 'adoptée si les « Pour » sont plus nombreux que les objections',
  'decision.title': 'Décisions',
  'decision.none': 'Aucune décision pour le moment.',
  'decision.line': 'n° {number} {label} : ',
  'decision.version': ' → version validée v{n}',
  'decision.voted': '{voted} structure(s) sur {eligible} ont donné leur avis',
  'diff.same': 'Aucune différence.',
  'diff.label': 'Différences : ajouts soulignés, suppressions barrées',
  'diff.summary': '{changes}, dans {paragraphs} paragraphe(s)',
  'diff.added': '{n} mot(s) ajouté(s)',
  'diff.removed': '{n} mot(s) supprimé(s)',
  'diff.layout': 'mise en forme ou ponctuation',
  'history.sessions': 'Qui a écrit quand',
  'history.noSessions': 'Aucune modification pour le moment.',
  'history.sessionStats': '{added} caractère(s) écrit(s), {removed} effacé(s)',
  'history.sessionSections': 'dans {sections}',
  'history.readSession': 'Lire le texte à la fin de cette session',
  'history.at': 'Le texte à un moment donné',
  'history.slider': 'Moment de l’historique',
  'history.previous': '◀ Avant',
  'history.next': 'Après ▶',
  'history.previousLabel': 'Moment précédent',
  'history.nextLabel': 'Moment suivant',
  'history.step': 'Étape {n} sur {total}',
  'history.pointStart': 'Document vide (avant toute écriture)',
  'history.pointSession': 'Texte du {when}, à la fin de la session {ofName}',
  'history.pointVersion': 'Version validée v{n} : {label}',
  'history.pointNow': 'Texte actuel',
  'history.colours': 'Couleurs',
  'history.plain': 'Texte seul',
  'history.byMember': 'Par auteur·e',
  'history.byOrganisation': 'Par structure',
  'history.legendChars': '{name} ({n} car.)',
  'history.diff': 'Comparer deux moments',
  'history.from': 'De',
  'history.to': 'À',
  'history.compare': 'Comparer',
  'history.diffBetween': 'De « {from} » à « {to} »',
  'versions.title': 'Versions validées',
  'versions.none': 'Aucune version validée.',
  'versions.decided': 'Adoptée le {when}',
  'versions.ok': 'Texte vérifié ✓ : identique à celui qui a été adopté',
  'versions.mismatch': 'ÉCART : le texte reconstruit ne correspond pas à celui qui a été adopté ({problem})',
  'versions.read': 'Lire ce texte',
  'export.label': 'Télécharger',
  'export.download': 'Télécharger :',
  'export.failed': 'Échec du téléchargement : {message}',
  'exports.title': 'Exports',
  'exports.current': 'Texte actuel',
  'exports.intro': 'Téléchargez le texte actuel ou une version validée dans le format de votre choix.',
  'error.network': 'Pas de connexion avec le serveur. Vérifiez votre connexion, puis réessayez.',
  'error.status': 'Le serveur a refusé la demande (erreur {status}).',
  'error.unexpected': 'Une erreur inattendue s’est produite. Rechargez la page.'
}

const en = {
  'app.title': 'Palabre',
  'app.skip': 'Skip to the text',
  'app.loading': 'Loading…',
  'lang.switch': 'Français',
  'lang.short': 'FR',
  'lang.switchLabel': 'Passer en français',
  'auth.signOut': 'Sign out',
  'auth.signOutShort': 'Sign out',
  'auth.signOutUnsaved': 'Some changes are not saved yet. Sign out anyway?',
  'auth.title': 'Sign in',
  'auth.intro': 'Open the invitation link you received. You can also paste your access key here.',
  'auth.token': 'Access key',
  'auth.submit': 'Sign in',
  'auth.invalid': 'This link or key is not (or no longer) valid. Ask the coordinators for a new link.',
  'auth.noRole': 'You have no role on this document.',
  'auth.unknownDocument': 'This document does not exist.',
  'auth.again': 'Sign in again',
  'documents.title': 'Your documents',
  'documents.none': 'No document yet.',
  'tabs.label': 'Sections',
  'tabs.text': 'Text',
  'tabs.committee': 'Committee',
  'tabs.history': 'History',
  'tabs.exports': 'Exports',
  'load.failed': 'This part could not be loaded.',
  'load.retry': 'Try again',
  'status.saved': 'Saved',
  'status.saving': 'Saving…',
  'status.savingN': 'Saving… ({n} character(s) waiting)',
  'status.offline': 'Offline',
  'status.offlineN': 'Offline — {n} character(s) kept in this browser, not saved yet',
  'status.closed': 'Connection refused (code {code})',
  'status.leave': 'Some changes are not saved yet.',
  'role.coordinator': 'coordinator',
  'role.editor': 'editor',
  'role.commenter': 'commenter',
  'role.observer': 'read only',
  'me.as': '{name} ({organisation}) — {role}',
  'editor.label': 'Text of the document (Markdown)',
  'editor.placeholder': 'Start writing here…',
  'editor.readOnly': 'Read only: your role does not allow changing the text.',
  'editor.readOnlyComment': 'Read only: your role does not allow changing the text. Select a passage to comment on it.',
  'side.label': 'Side panel',
  'side.preview': 'Preview',
  'side.comments': 'Comments ({n})',
  'side.sources': 'Sources ({n})',
  'sources.balance': 'Balance of sources',
  'sources.totals': 'Interviews with organisations from France: {fr}; from Togo: {tg}.',
  'sources.column.section': 'Section',
  'sources.column.interviews': 'Interviews',
  'sources.column.france': 'France',
  'sources.column.togo': 'Togo',
  'sources.preamble': '(introduction)',
  'sources.interviews': 'Interviews ({n})',
  'sources.none': 'No interview recorded.',
  'sources.quotable': 'may be quoted',
  'sources.notQuotable': 'not to be quoted',
  'sources.notes': 'Notes',
  'sources.notesConfidential': 'Notes (confidential)',
  'sources.notesHidden': 'Confidential notes: for the coordination and those who led the interview.',
  'sources.linkSelection': 'Link the selection to this interview',
  'sources.selectFirst': 'Select a passage of the text to link it to an interview.',
  'sources.goTo': 'Go to the passage',
  'sources.detached': 'passage deleted or changed',
  'sources.organisations': 'Organisations',
  'sources.interviewed': 'interviewed',
  'sources.notInterviewed': 'not interviewed',
  'sources.citedIn': 'cited in: {sections}',
  'sources.notCited': 'not cited yet',
  'changes.title': 'Change note',
  'changes.proposed': 'What the proposal changes (change note)',
  'changes.since': 'Changes since v{n}',
  'changes.loading': 'Loading…',
  'changes.none': 'No approved version before this one: no change note.',
  'outline.title': 'Outline',
  'outline.summary': 'Outline ({n} sections)',
  'outline.empty': 'No headings yet.',
  'toolbar.label': 'Formatting',
  'toolbar.h1': 'Section heading',
  'toolbar.h2': 'Subheading',
  'toolbar.bold': 'Bold',
  'toolbar.italic': 'Italic',
  'toolbar.bullets': 'Bulleted list',
  'toolbar.numbers': 'Numbered list',
  'toolbar.link': 'Link',
  'toolbar.boldText': 'bold text',
  'toolbar.italicText': 'italic text',
  'toolbar.linkText': 'link text',
  'toolbar.linkPrompt': 'Link address:',
  'presence.title': 'People here',
  'presence.count': '{n} present',
  'presence.organisations': '{fr} organisations FR · {tg} TG',
  'presence.organisations.one': '{fr} organisation FR · {tg} TG',
  'presence.show': 'See who is here',
  'presence.typing': '✎ {names}',
  'presence.typingMore': '{names} and {n} more',
  'presence.typingCount': '✎ {n} writing',
  'presence.where': '{name} (“{section}”)',
  'presence.writes': 'writing in “{section}”',
  'presence.writesTop': 'writing (start of the text)',
  'presence.you': '(you)',
  'presence.groupCount': '{organisations} organisation(s), {people} people',
  'comments.onSelection': 'Comment on the selection',
  'comments.selectFirst': 'Select a passage of the text to comment on it.',
  'comments.readOnly': 'Your role lets you read comments, not write them.',
  'comments.body': 'Your comment',
  'comments.send': 'Post',
  'comments.reply': 'Reply',
  'comments.resolve': 'Resolve',
  'comments.reopen': 'Reopen',
  'comments.goTo': 'Go to the passage',
  'comments.detached': 'The commented passage was deleted or changed.',
  'comments.none': 'No comments.',
  'comments.filter': 'Filter the comments',
  'comments.open': 'Open',
  'comments.resolved': 'Resolved',
  'comments.all': 'All',
  'comments.tooLong': 'The selected passage is too long for a comment (2,000 characters at most).',
  'common.cancel': 'Cancel',
  'meeting.none': 'No meeting in progress',
  'meeting.waiting': 'The coordinators will open the meeting.',
  'meeting.title': 'Meeting title',
  'meeting.date': 'Date',
  'meeting.open': 'Open the meeting',
  'meeting.current': 'Current meeting: {title}',
  'meeting.row': '{organisation} ({country}): ',
  'meeting.attendance': 'Attendance',
  'meeting.saveAttendance': 'Save attendance',
  'meeting.nobody': 'No attendance recorded.',
  'meeting.attendanceCount': 'Attendance: {n} people, {organisations} organisation(s)',
  'meeting.presentCount': '{n} present',
  'meeting.close': 'Close the meeting',
  'proposal.none': 'No open proposal',
  'proposal.pinsNow': 'A proposal pins the text as it stands now.',
  'proposal.label': 'Proposal title',
  'proposal.open': 'Put the current text to the vote',
  'proposal.current': 'Proposal no. {number}: {label}',
  'proposal.when': 'Text proposed on {when}',
  'proposal.whenUnknown': 'Text proposed during the meeting',
  'proposal.close': 'Close the vote and decide',
  'proposal.diffFrom': 'What changes since approved version v{n}',
  'proposal.diffFromEmpty': 'The whole text is new (no approved version)',
  'proposal.text': 'Read the proposed text',
  'proposal.loadingText': 'Loading the proposed text…',
  'check.title': 'To check (the text’s fingerprint)',
  'check.sha256': 'SHA-256 fingerprint of the text: {hash}',
  'check.point': 'Point in the history: {n}',
  'check.chain': 'Event log sealed by the decision: {head} (event no. {position})',
  'vote.label': 'Your vote',
  'vote.as': 'Vote “{choice}”',
  'vote.reason': 'Reason (required for an objection)',
  'vote.reasonNeeded': 'An objection needs a reason: write it.',
  'vote.mine': 'Your organisation’s vote: {vote}',
  'vote.mineSecret': 'Your organisation has voted (secret ballot).',
  'vote.notVoter': 'You do not vote on this document.',
  'tally.title': 'Votes cast',
  'tally.count': '{choice}: {n}',
  'tally.voter': '{organisation} ({country}) — {member}: ',
  'tally.secret': 'Secret ballot: {n} organisation(s) voted.',
  'tally.counted': '{voted} of {eligible} organisation(s) voted',
  'tally.none': 'No vote yet.',
  'rule.summary': 'Rule: {mode}, quorum {quorum}%, {ballot}',
  'rule.consentMeans': 'accepted if nobody objects',
  'rule.majorityMeans': 'accepted if “For” outnumbers the objections',
  'decision.title': 'Decisions',
  'decision.none': 'No decision yet.',
  'decision.line': 'no. {number} {label}: ',
  'decision.version': ' → approved version v{n}',
  'decision.voted': '{voted} of {eligible} organisation(s) voted',
  'diff.same': 'No difference.',
  'diff.label': 'Differences: insertions underlined, deletions struck through',
  'diff.summary': '{changes}, in {paragraphs} paragraph(s)',
  'diff.added': '{n} word(s) added',
  'diff.removed': '{n} word(s) removed',
  'diff.layout': 'layout or punctuation',
  'history.sessions': 'Who wrote when',
  'history.noSessions': 'No change yet.',
  'history.sessionStats': '{added} character(s) written, {removed} erased',
  'history.sessionSections': 'in {sections}',
  'history.readSession': 'Read the text at the end of this session',
  'history.at': 'The text at any point',
  'history.slider': 'Point in the history',
  'history.previous': '◀ Earlier',
  'history.next': 'Later ▶',
  'history.previousLabel': 'Previous point',
  'history.nextLabel': 'Next point',
  'history.step': 'Step {n} of {total}',
  'history.pointStart': 'Empty document (before any writing)',
  'history.pointSession': 'Text of {when}, at the end of the session of {ofName}',
  'history.pointVersion': 'Approved version v{n}: {label}',
  'history.pointNow': 'Current text',
  'history.colours': 'Colours',
  'history.plain': 'Plain text',
  'history.byMember': 'By author',
  'history.byOrganisation': 'By organisation',
  'history.legendChars': '{name} ({n} char.)',
  'history.diff': 'Compare two points',
  'history.from': 'From',
  'history.to': 'To',
  'history.compare': 'Compare',
  'history.diffBetween': 'From “{from}” to “{to}”',
  'versions.title': 'Approved versions',
  'versions.none': 'No approved version.',
  'versions.decided': 'Approved on {when}',
  'versions.ok': 'Text checked ✓: identical to the one approved',
  'versions.mismatch': 'MISMATCH: the rebuilt text differs from the one approved ({problem})',
  'versions.read': 'Read this text',
  'export.label': 'Download',
  'export.download': 'Download:',
  'export.failed': 'Download failed: {message}',
  'exports.title': 'Exports',
  'exports.current': 'Current text',
  'exports.intro': 'Download the current text or an approved version in the format you need.',
  'error.network': 'No connection to the server. Check your connection, then try again.',
  'error.status': 'The server refused the request (error {status}).',
  'error.unexpected': 'Something unexpected went wrong. Reload the page.'
}

// The committee's words (choice.approve, decision.accepted, mode.consent, ballot.secret,
// quorum.met, country.TG...) and the error codes (error.meeting_already_open...).
for (const [dictionary, lang] of [[fr, 'fr'], [en, 'en']]) {
  for (const [section, entries] of Object.entries(vocabulary[lang])) {
    for (const [value, word] of Object.entries(entries)) dictionary[`${section}.${value}`] = word
  }
  for (const [code, message] of Object.entries(errorMessages[lang])) dictionary[`error.${code}`] = message
}

export const DICTIONARIES = { fr, en }
let language = 'fr'
const listeners = new Set()

export function initLanguage (storage) {
  const saved = storage.getItem(KEY)
  language = saved === 'en' ? 'en' : 'fr'
  document.documentElement.lang = language
}

export function currentLanguage () { return language }

export function setLanguage (storage, next) {
  language = next === 'en' ? 'en' : 'fr'
  storage.setItem(KEY, language)
  document.documentElement.lang = language
  for (const listener of listeners) listener(language)
}

export function onLanguage (listener) { listeners.add(listener) }

export function has (key, lang = language) { return key in DICTIONARIES[lang] }

// A count's words: `key.one` for one (and zero, in French) when the dictionary has it.
export function plural (key, n, params = {}) {
  const one = language === 'fr' ? n < 2 : n === 1
  return t(one && has(`${key}.one`) ? `${key}.one` : key, { n, ...params })
}

export function t (key, params = {}) {
  const template = DICTIONARIES[language][key] ?? DICTIONARIES.fr[key] ?? key
  return template.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''))
}

// "de Yann", "d’Afi" in French; "Yann" in English (the template says "of").
export function ofName (name) {
  if (language === 'en') return name
  return /^[aeiouyhàâäéèêëîïôöûùüœ]/i.test(name) ? `d’${name}` : `de ${name}`
}

// A capital at the start of a sentence: "adoptée" → "Adoptée".
export function capital (word) { return word.charAt(0).toUpperCase() + word.slice(1) }

// Static markup names its words: data-i18n (text), data-i18n-label (aria-label),
// data-i18n-title (title), data-i18n-placeholder.
export function translate (root) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n)
  for (const element of root.querySelectorAll('[data-i18n-label]')) element.setAttribute('aria-label', t(element.dataset.i18nLabel))
  for (const element of root.querySelectorAll('[data-i18n-title]')) element.setAttribute('title', t(element.dataset.i18nTitle))
  for (const element of root.querySelectorAll('[data-i18n-placeholder]')) element.setAttribute('placeholder', t(element.dataset.i18nPlaceholder))
}

function locale () { return language === 'en' ? 'en-GB' : 'fr-FR' }

export function formatTime (iso) {
  if (!iso) return ''
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))
}

function parts (iso) {
  const found = {}
  const format = new Intl.DateTimeFormat(locale(), {
    day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
  })
  for (const part of format.formatToParts(new Date(iso))) found[part.type] = part.value
  return found
}

// A moment as a reader says it, in the browser's zone: "1er décembre à 21 h 59" (the year
// only when it is not this one), "1 December at 21:59".
export function formatMoment (iso) {
  if (!iso) return ''
  const p = parts(iso)
  const year = p.year !== String(new Date().getFullYear()) ? ` ${p.year}` : ''
  if (language === 'en') return `${p.day} ${p.month}${year} at ${p.hour}:${p.minute}`
  const day = p.day === '1' ? '1er' : p.day
  return `${day} ${p.month}${year} à ${Number(p.hour)} h ${p.minute}`
}

// The clock alone: "21 h 59", "21:59".
export function formatClock (iso) {
  const p = parts(iso)
  return language === 'en' ? `${p.hour}:${p.minute}` : `${Number(p.hour)} h ${p.minute}`
}

// A calendar date (YYYY-MM-DD), not a moment: shown as written, with no zone shift.
export function formatDate (day) {
  const [y, m, d] = day.split('-').map(Number)
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)))
}
