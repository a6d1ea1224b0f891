import type { DemoContext, DemoSeeder } from '../demo/seed.ts';
import type { Db } from '../db/database.ts';
import { withTransaction } from '../db/transaction.ts';
import { lookupPostcode, samplePostcodes } from '../geo/postcodes.ts';
import type { OrukService } from './oruk/types.ts';
import { writeDirectoryService } from './curation/service.ts';
import { refreshSearch } from './queries.ts';
import { capacityTermId, deliveryTermId, needTermId, stableId, type Capacity } from './taxonomy.ts';
import { linkProviderOrganisation, providerOrganisationNames } from '../identity/provider-organisations.ts';

export interface Template {
  name: string;
  needs: string[];
  description: string;
  delivery: string[];
  cost?: [number, string];
  ages?: [number | null, number | null];
}

// Fictional services of the kinds link workers in Leeds refer to. Names are invented.
export const TEMPLATES: Template[] = [
  {
    name: 'Befriending phone calls',
    needs: ['loneliness'],
    delivery: ['phone'],
    description: 'A trained volunteer rings you for a friendly chat at the same time each week.',
  },
  {
    name: 'Home befriending visits',
    needs: ['loneliness', 'carers'],
    delivery: ['in-person'],
    description: 'A volunteer visits you at home for a cup of tea and a chat, and helps you get out and about if you want to.',
    ages: [60, null],
  },
  {
    name: 'Friendship café',
    needs: ['loneliness'],
    delivery: ['in-person'],
    description: 'A relaxed drop-in café where you can meet new people. Tea, coffee and cake provided.',
    cost: [1, 'per visit, pay what you can'],
  },
  {
    name: 'Health walk',
    needs: ['physical-activity', 'loneliness'],
    delivery: ['in-person'],
    description:
      'A gentle, led walk of about an hour on flat paths, finishing with a cuppa. Walk at your own pace; nobody gets left behind.',
  },
  {
    name: 'Nordic walking group',
    needs: ['physical-activity'],
    delivery: ['in-person'],
    description: 'Walking with poles for a full-body workout. Poles provided and beginners welcome.',
    cost: [3, 'per session'],
  },
  {
    name: 'Chair-based exercise',
    needs: ['physical-activity', 'long-term-conditions'],
    delivery: ['in-person'],
    description: 'Seated exercise to music that improves strength, balance and mobility.',
    cost: [2.5, 'per session'],
    ages: [50, null],
  },
  {
    name: 'Debt advice drop-in',
    needs: ['money'],
    delivery: ['in-person', 'phone'],
    description: 'Free, confidential advice on debts, budgeting and dealing with creditors from accredited advisers.',
  },
  {
    name: 'Benefits and money advice',
    needs: ['money', 'housing'],
    delivery: ['phone', 'online'],
    description: 'Help checking which benefits you can claim, filling in forms and challenging decisions.',
  },
  {
    name: 'Energy bills help',
    needs: ['money', 'housing'],
    delivery: ['phone'],
    description: 'Advice on cutting energy bills, grants for heating and dealing with arrears.',
  },
  {
    name: 'Arthritis support hub',
    needs: ['long-term-conditions', 'physical-activity'],
    delivery: ['in-person', 'online'],
    description: 'Information, gentle exercise and peer support for people living with arthritis and joint pain.',
    ages: [18, null],
  },
  {
    name: 'Diabetes peer support group',
    needs: ['long-term-conditions', 'healthy-eating'],
    delivery: ['in-person'],
    description: 'Share tips and experiences of living with type 2 diabetes with others in the same boat.',
  },
  {
    name: 'Breathe easy group',
    needs: ['long-term-conditions', 'loneliness'],
    delivery: ['in-person'],
    description: 'Support and singing for people with COPD and other lung conditions.',
  },
  {
    name: 'Mindfulness for beginners',
    needs: ['mental-wellbeing'],
    delivery: ['in-person', 'online'],
    description: 'An eight-week mindfulness course teaching simple practices to manage stress and worry.',
    cost: [4, 'per session'],
  },
  {
    name: 'Mindfulness walking',
    needs: ['mental-wellbeing', 'physical-activity'],
    delivery: ['in-person'],
    description: 'Slow, mindful walks noticing the sights and sounds of the park.',
  },
  {
    name: 'Stress and anxiety workshop',
    needs: ['mental-wellbeing'],
    delivery: ['online'],
    description: 'Practical workshops on sleep, worry and low mood, led by wellbeing practitioners.',
  },
  {
    name: "Men's shed",
    needs: ['loneliness', 'mental-wellbeing', 'learning'],
    delivery: ['in-person'],
    description: 'A workshop space to make, mend and chat. Woodwork, repairs and plenty of tea.',
    cost: [2, 'per visit'],
  },
  {
    name: 'Community art group',
    needs: ['arts', 'loneliness'],
    delivery: ['in-person'],
    description: 'Painting, drawing and collage for all abilities. Materials provided.',
    cost: [3, 'per session including materials'],
  },
  {
    name: 'Singing for wellbeing',
    needs: ['arts', 'mental-wellbeing'],
    delivery: ['in-person'],
    description: 'A friendly community choir. No auditions and no need to read music.',
  },
  {
    name: 'Craft and natter',
    needs: ['arts', 'loneliness'],
    delivery: ['in-person'],
    description: 'Bring your knitting, sewing or crochet, or learn something new with others.',
  },
  {
    name: 'Community gardening group',
    needs: ['gardening', 'physical-activity', 'loneliness'],
    delivery: ['in-person'],
    description: 'Grow vegetables and flowers together on our allotment. Tools and gloves provided.',
  },
  {
    name: 'Green gym',
    needs: ['gardening', 'physical-activity'],
    delivery: ['in-person'],
    description: 'Outdoor conservation work in local green spaces: a workout that helps nature too.',
  },
  {
    name: 'Bereavement support group',
    needs: ['bereavement', 'mental-wellbeing'],
    delivery: ['in-person', 'phone'],
    description: 'A safe space to talk about grief with others who understand, run by trained volunteers.',
    ages: [18, null],
  },
  {
    name: "Carers' support group",
    needs: ['carers', 'mental-wellbeing'],
    delivery: ['in-person', 'online'],
    description: 'Advice, breaks and a chance to meet other unpaid carers.',
  },
  {
    name: 'Housing advice',
    needs: ['housing', 'money'],
    delivery: ['in-person', 'phone'],
    description: 'Help with tenancy problems, repairs, eviction and finding somewhere to live.',
  },
  {
    name: 'Volunteering hub',
    needs: ['employment', 'loneliness'],
    delivery: ['in-person', 'online'],
    description: 'Find volunteering roles that match your interests and build confidence and skills.',
  },
  {
    name: 'Job club',
    needs: ['employment', 'learning'],
    delivery: ['in-person'],
    description: 'Help with CVs, applications and interview practice.',
  },
  {
    name: 'Digital skills drop-in',
    needs: ['digital', 'learning'],
    delivery: ['in-person'],
    description: 'Get help using your phone, tablet or computer: video calls, online shopping and NHS App.',
  },
  {
    name: 'Adult learning taster courses',
    needs: ['learning'],
    delivery: ['in-person', 'online'],
    description: 'Short courses in English, maths, languages and hobbies.',
  },
  {
    name: 'Community pantry',
    needs: ['food', 'money'],
    delivery: ['in-person'],
    description: 'A weekly shop of fresh food and essentials for a small membership fee.',
    cost: [4.5, 'per weekly shop'],
  },
  {
    name: 'Cook and eat sessions',
    needs: ['healthy-eating', 'food', 'loneliness'],
    delivery: ['in-person'],
    description: 'Learn to cook simple, healthy meals on a budget and share them together.',
  },
  {
    name: 'Weight management course',
    needs: ['healthy-eating', 'physical-activity'],
    delivery: ['in-person', 'online'],
    description: 'A twelve-week course on healthy eating and being more active.',
    ages: [18, null],
  },
  {
    name: 'Community transport',
    needs: ['transport', 'loneliness'],
    delivery: ['phone'],
    description: 'Door-to-door minibus for people who find public transport hard to use, for shopping and appointments.',
    cost: [3, 'per return journey'],
  },
];

const AREAS = [
  'Headingley',
  'Hyde Park',
  'Woodhouse',
  'Meanwood',
  'Burley',
  'Kirkstall',
  'City Centre',
  'Little London',
  'Holbeck',
  'Far Headingley',
];
const ORG_KINDS = [
  'Community Association',
  'Neighbourhood Network',
  'Wellbeing Trust',
  'Community Hub',
  'Friends Together',
  'Advice Centre',
  'Community Partnership',
];
const VENUES = [
  'Community Centre',
  'Library',
  'Church Hall',
  'Methodist Hall',
  'Park Pavilion',
  'Resource Centre',
  'Sports Centre',
  'Community Rooms',
];
const STREETS = [
  'Otley Road',
  'Cardigan Road',
  'Hyde Park Road',
  'Woodhouse Lane',
  'Kirkstall Road',
  'Headingley Lane',
  'Victoria Road',
  'Brudenell Road',
  'Park Lane',
  'Briggate',
];
const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const LANGUAGES = [
  ['Urdu', 'ur'],
  ['Polish', 'pl'],
  ['Punjabi', 'pa'],
  ['Arabic', 'ar'],
  ['Bengali', 'bn'],
];

/** Builds one fictional service; `n` makes its ids and details stable across runs. */
export async function demoService(
  context: Pick<DemoContext, 'random'>,
  db: Db,
  n: number,
  org: { id: string; name: string },
  postcodes: string[],
): Promise<{ service: OrukService; capacity: Capacity; wait: number | null; verifiedMonthsAgo: number | null }> {
  const { random } = context;
  const t = random.pick(TEMPLATES);
  const area = random.pick(AREAS);
  const id = stableId(`demo:service:${n}`);
  const postcode = random.pick(postcodes);
  const point = (await lookupPostcode(db, postcode))!;
  const venue = `${area} ${random.pick(VENUES)}`;
  const day = random.pick(DAYS);
  const hour = random.int(9, 18);
  const hh = (h: number) => `${String(h).padStart(2, '0')}:${random.pick(['00', '30'])}:00`;
  const accessible = random.chance(0.7);
  const loop = random.chance(0.4);
  const language = random.chance(0.15) ? random.pick(LANGUAGES) : undefined;
  const capacity: Capacity = random.chance(0.75) ? 'taking_referrals' : random.chance(0.6) ? 'waiting_list' : 'full';
  const inPerson = t.delivery.includes('in-person');
  const service: OrukService = {
    id,
    organization_id: org.id,
    name: `${area} ${t.name}`,
    description: `${t.description} Run by ${org.name}.`,
    email: `hello@${org.name
      .toLowerCase()
      .replace(/[^a-z]+/g, '-')
      .replace(/^-|-$/g, '')}.example.org`,
    status: 'active',
    ...(t.cost ? { fees: `£${t.cost[0].toFixed(2)} ${t.cost[1]}` } : {}),
    ...(t.ages?.[0] != null ? { minimum_age: t.ages[0] } : {}),
    ...(t.ages?.[1] != null ? { maximum_age: t.ages[1] } : {}),
    eligibility_description: t.ages?.[0] ? `Adults aged ${t.ages[0]} and over.` : 'Anyone can come along.',
    last_modified: new Date(Date.UTC(2026, random.int(0, 9), random.int(1, 28), 10)).toISOString(),
    service_at_locations: inPerson
      ? [
          {
            id: stableId(`demo:sal:${n}`),
            location: {
              id: stableId(`demo:location:${n}`),
              location_type: 'physical',
              name: venue,
              latitude: point.latitude,
              longitude: point.longitude,
              addresses: [
                {
                  id: stableId(`demo:address:${n}`),
                  address_1: `${random.int(1, 250)} ${random.pick(STREETS)}`,
                  city: 'Leeds',
                  state_province: 'West Yorkshire',
                  postal_code: postcode,
                  country: 'GB',
                  address_type: 'physical',
                },
              ],
              accessibility: [
                ...(accessible
                  ? [{ id: stableId(`demo:access:${n}:wheelchair`), description: 'Step-free entrance and wheelchair accessible toilet.' }]
                  : []),
                ...(loop ? [{ id: stableId(`demo:access:${n}:loop`), description: 'Hearing loop in the main room.' }] : []),
              ],
            },
          },
        ]
      : [],
    schedules: [
      {
        id: stableId(`demo:schedule:${n}`),
        freq: 'WEEKLY',
        interval: 1,
        byday: day,
        opens_at: hh(hour),
        closes_at: hh(Math.min(hour + random.int(1, 3), 21)),
        description: `Every week`,
      },
    ],
    cost_options: t.cost ? [{ id: stableId(`demo:cost:${n}`), option: 'Standard', amount: t.cost[0], amount_description: t.cost[1] }] : [],
    languages: [
      { id: stableId(`demo:language:${n}:en`), name: 'English', code: 'en' },
      ...(language ? [{ id: stableId(`demo:language:${n}:${language[1]}`), name: language[0], code: language[1] }] : []),
    ],
    contacts: [
      {
        id: stableId(`demo:contact:${n}`),
        title: 'Group coordinator',
        phones: [{ id: stableId(`demo:phone:${n}`), number: `0113 496 ${String(random.int(0, 999)).padStart(4, '0')}` }],
      },
    ],
    attributes: [
      ...t.needs.map((need) => ({ id: stableId(`demo:attr:${n}:${need}`), taxonomy_term_id: needTermId(need) })),
      ...t.delivery.map((d) => ({ id: stableId(`demo:attr:${n}:${d}`), taxonomy_term_id: deliveryTermId(d) })),
      { id: stableId(`demo:attr:${n}:capacity`), taxonomy_term_id: capacityTermId(capacity) },
    ],
  };
  const verifiedMonthsAgo = random.chance(0.8) ? random.int(0, 5) : random.chance(0.5) ? random.int(7, 18) : null;
  return { service, capacity, wait: capacity === 'waiting_list' ? random.int(2, 8) : null, verifiedMonthsAgo };
}

/** A few hundred fictional community services at real LS1 and LS6 postcodes. */
export const directorySeeder: DemoSeeder = {
  area: 'directory',
  async seed(context) {
    const postcodes = samplePostcodes();
    const organizations: Array<{ id: string; name: string }> = [];
    const ids: string[] = [];
    await withTransaction(context.database.pool, async (tx) => {
      // The demo's provider organisations run directory services too, so provider users can edit them.
      const providers = await providerOrganisationNames(tx, context.ids.providerOrganisations ?? []);
      let n = 0;
      for (let o = 0; o < 60; o++) {
        const provider = providers[o];
        const name = provider?.name ?? `${context.random.pick(AREAS)} ${context.random.pick(ORG_KINDS)} ${o + 1}`;
        const org = { id: stableId(`demo:organization:${o}`), name };
        organizations.push(org);
        if (provider) await linkProviderOrganisation(tx, provider.id, org.id);
        const count = context.random.int(3, 7);
        for (let i = 0; i < count; i++) {
          const { service, capacity, wait, verifiedMonthsAgo } = await demoService(context, tx, n++, org, postcodes);
          const verifiedAt = verifiedMonthsAgo === null ? null : new Date(Date.now() - verifiedMonthsAgo * 30.4 * 86_400_000);
          await writeDirectoryService(
            tx,
            {
              ...service,
              organization: {
                id: org.id,
                name,
                description: `A fictional community organisation in Leeds (demo data).`,
                email: service.email ?? null,
              },
            },
            { capacity, expectedWaitWeeks: wait, sourceFeed: 'demo', lastVerifiedAt: verifiedAt, refreshSearch: false },
          );
          ids.push(service.id);
        }
      }
      // One refresh of every search document, as an import does, rather than one per service.
      await refreshSearch(tx, ids);
    });
    context.ids.directoryOrganizations = organizations.map((o) => o.id);
    context.ids.directoryServices = ids;
  },
};
