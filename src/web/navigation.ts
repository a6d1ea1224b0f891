import { hasRole, type Actor } from '../identity/actor.ts';

export interface NavigationItem {
  href: string;
  text: string;
}

/** The header links a person sees, by what their roles let them do. */
export function navigationFor(actor: Actor | undefined): NavigationItem[] {
  const items: NavigationItem[] = [{ href: '/services', text: 'Find services' }];
  if (!actor) return items;
  if (hasRole(actor, 'link_worker', 'lead')) items.push({ href: '/caseload', text: 'Caseload' });
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
