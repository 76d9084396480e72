// The document's live channel (server-sent events): committee, comment, interview and
// suggestion events. The
// browser's EventSource reconnects by itself; listeners re-read the state on every `ready`.
export function openEvents (documentId, token, handlers) {
  const url = `/api/documents/${encodeURIComponent(documentId)}/events?token=${encodeURIComponent(token)}`
  const source = new EventSource(url)
  const kinds = ['ready', 'meeting.opened', 'attendance.recorded', 'meeting.closed',
    'proposal.opened', 'vote.cast', 'proposal.closed', 'rule.set', 'organisation.voting',
    'member.added', 'member.changed', 'member.removed', 'comment.created', 'comment.replied',
    'comment.edited', 'comment.resolved', 'comment.reopened', 'interview.recorded',
    'interview.revised', 'interview.notes', 'interview.linked', 'interview.unlinked',
    'suggestion.made', 'suggestion.revised', 'suggestion.replied', 'suggestion.accepted',
    'suggestion.rejected', 'suggestion.withdrawn', 'amendments.opened', 'amendments.vote',
    'amendments.closed']
  for (const kind of kinds) {
    source.addEventListener(kind, (event) => {
      let data = {}
      try { data = JSON.parse(event.data) } catch (_) {}
      for (const handler of handlers) handler(kind, data)
    })
  }
  source.addEventListener('end', () => source.close())
  return source
}
