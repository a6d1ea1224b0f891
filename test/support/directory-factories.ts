import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { lookupPostcode } from '../../src/geo/postcodes.ts';
import { writeDirectoryService } from '../../src/directory/curation/service.ts';
import type { OrukLocation, OrukService } from '../../src/directory/oruk/types.ts';
import { deliveryTermId, needTermId, type Capacity } from '../../src/directory/taxonomy.ts';

export interface ServiceOverrides {
  name?: string;
  description?: string;
  organizationId?: string;
  organizationName?: string;
  postcode?: string | null;
  needs?: string[];
  delivery?: string[];
  cost?: number;
  byday?: string;
  opensAt?: string;
  closesAt?: string;
  minimumAge?: number;
  maximumAge?: number;
  accessibility?: string[];
  languages?: string[];
  status?: string;
  capacity?: Capacity;
  expectedWaitWeeks?: number | null;
  lastVerifiedAt?: Date | null;
  /** Fields of its one location (name, description, phones...) over the test venue's. */
  location?: Partial<Omit<OrukLocation, 'id'>>;
}

/** A directory service with one location at a real sample postcode unless told otherwise. */
export async function aDirectoryService(database: Database, o: ServiceOverrides = {}): Promise<OrukService> {
  const id = randomUUID();
  const organizationId = o.organizationId ?? randomUUID();
  const postcode = o.postcode === undefined ? 'LS6 3AB' : o.postcode;
  const point = postcode ? await lookupPostcode(database.pool, postcode) : undefined;
  const service: OrukService = {
    id,
    organization_id: organizationId,
    name: o.name ?? `Test service ${id.slice(0, 8)}`,
    description: o.description ?? 'A test service.',
    status: o.status ?? 'active',
    ...(o.minimumAge !== undefined ? { minimum_age: o.minimumAge } : {}),
    ...(o.maximumAge !== undefined ? { maximum_age: o.maximumAge } : {}),
    organization: {
      id: organizationId,
      name: o.organizationName ?? `Test organisation ${organizationId.slice(0, 8)}`,
      description: 'A test organisation.',
    },
    service_at_locations: point
      ? [
          {
            id: randomUUID(),
            location: {
              id: randomUUID(),
              location_type: 'physical',
              name: 'Test venue',
              latitude: point.latitude,
              longitude: point.longitude,
              addresses: [
                {
                  id: randomUUID(),
                  address_1: '1 Test Street',
                  city: 'Leeds',
                  state_province: 'West Yorkshire',
                  postal_code: point.postcode,
                  country: 'GB',
                  address_type: 'physical',
                },
              ],
              accessibility: (o.accessibility ?? []).map((description) => ({ id: randomUUID(), description })),
              ...o.location,
            },
          },
        ]
      : [],
    schedules: o.byday
      ? [{ id: randomUUID(), freq: 'WEEKLY', byday: o.byday, opens_at: o.opensAt ?? '10:00', closes_at: o.closesAt ?? '12:00' }]
      : [],
    cost_options: o.cost !== undefined ? [{ id: randomUUID(), option: 'Standard', amount: o.cost }] : [],
    languages: (o.languages ?? []).map((name) => ({ id: randomUUID(), name })),
    attributes: [
      ...(o.needs ?? []).map((need) => ({ id: randomUUID(), taxonomy_term_id: needTermId(need) })),
      ...(o.delivery ?? []).map((d) => ({ id: randomUUID(), taxonomy_term_id: deliveryTermId(d) })),
    ],
  };
  await withTransaction(database.pool, (tx) =>
    writeDirectoryService(tx, service, {
      // A factory service stands for one a provider has kept up to date; an import's unknown capacity is tested on its own.
      capacity: o.capacity ?? 'taking_referrals',
      expectedWaitWeeks: o.expectedWaitWeeks,
      lastVerifiedAt: o.lastVerifiedAt === undefined ? new Date() : o.lastVerifiedAt,
    }),
  );
  return service;
}
