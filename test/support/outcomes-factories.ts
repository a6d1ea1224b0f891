import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { recordAssessment } from '../../src/assessment/service.ts';
import { INSTRUMENTS, type InstrumentCode } from '../../src/outcomes/instruments.ts';
import type { PersonInput } from '../../src/people/schema.ts';
import { anAssessment, anEpisodeInContact } from './plans-factories.ts';

/** Form fields `item-<id>` for an instrument, from answers in question order. */
export function answersForm(instrument: InstrumentCode, values: number[]): Record<string, string> {
  return Object.fromEntries(INSTRUMENTS[instrument].items.map((item, i) => [`item-${item.id}`, String(values[i])]));
}

/** A referral in contact and then assessed: the point at which a baseline measure is expected. */
export async function anAssessedEpisode(database: Database, team: { lead: Actor; worker: Actor }, person: Partial<PersonInput> = {}) {
  const episode = await anEpisodeInContact(database, team, person);
  await recordAssessment(database.pool, team.worker, episode.referralId, anAssessment());
  return episode;
}

/** The links in the outbox for a tenant, newest last, with the token each carries. */
export async function outcomeLinksSent(database: Database, tenantId: string) {
  const { rows } = await database.pool.query<{ channel: string; recipient: string; personalisation: Record<string, string> }>(
    `SELECT channel, recipient, personalisation FROM notification WHERE tenant_id = $1 AND template = 'outcome_measure_link' ORDER BY created_at`,
    [tenantId],
  );
  return rows.map((r) => ({ ...r, link: r.personalisation.link!, token: r.personalisation.link!.split('/outcomes/complete/')[1]! }));
}
