import { hasRole, type Actor } from '../identity/actor.ts';

export interface NavigationItem {
  href: string;
  text: string;
  /** Set when the link carries a count; the header prints this instead of the text. */
  html?: string;
}

/** New work counted beside the header's links (link workers only). */
export interface HeaderCounts {
  newAllocations: number;
  newResponses: number;
}

/** A link with a count of new items; the count is read out as words too ("2 new"). */
function counted(href: string, text: string, count: number | undefined): NavigationItem {
  if (!count) return { href, text };
  return {
    href,
    text: `${text} (${count} new)`,
    html: `${text}<span class="signpost-count" aria-hidden="true">${count}</span><span class="nhsuk-u-visually-hidden">, ${count} new</span>`,
  };
}

/** The header links a person sees, by what their roles let them do. */
export function navigationFor(actor: Actor | undefined, counts?: HeaderCounts): NavigationItem[] {
  const items: NavigationItem[] = [{ href: '/services', text: 'Find services' }];
  if (!actor) return items;
  items.unshift({ href: '/home', text: 'Home' });
  if (hasRole(actor, 'link_worker', 'lead')) items.push(counted('/caseload', 'Caseload', counts?.newAllocations));
  if (hasRole(actor, 'link_worker', 'lead')) items.push({ href: '/follow-ups', text: 'Follow-ups' });
  if (hasRole(actor, 'link_worker', 'lead')) items.push(counted('/responses', 'Responses', counts?.newResponses));
  if (hasRole(actor, 'link_worker')) items.push({ href: '/appointments', text: 'Calendar' });
  if (hasRole(actor, 'lead')) items.push({ href: '/triage', text: 'Triage' });
  if (hasRole(actor, 'lead')) items.push({ href: '/safeguarding', text: 'Safeguarding' });
  if (hasRole(actor, 'referrer', 'link_worker', 'lead')) items.push({ href: '/referrals/new', text: 'Refer someone' });
  if (hasRole(actor, 'referrer')) items.push({ href: '/my-referrals', text: 'My referrals' });
  if (hasRole(actor, 'provider')) items.push({ href: '/provider/inbox', text: 'Referrals inbox' });
  if (hasRole(actor, 'curator', 'provider')) items.push({ href: '/curation', text: 'Directory' });
  if (hasRole(actor, 'commissioner', 'lead', 'researcher')) items.push({ href: '/reports', text: 'Reports' });
  if (hasRole(actor, 'researcher')) items.push({ href: '/research', text: 'Research' });
  if (hasRole(actor, 'admin')) items.push({ href: '/admin/users', text: 'Admin' });
  if (hasRole(actor, 'admin')) items.push({ href: '/admin/jobs', text: 'Jobs' });
  return items;
}
