import { INSTRUMENTS, TIMEPOINT_LABELS } from './instruments.ts';
import type { AdministrationRow } from './queries.ts';
import { ons4Band } from './scoring.ts';

// FHIR R4 shapes for one outcome administration: the answers as a QuestionnaireResponse and the
// score as an Observation derived from it. The shared reference data gives no LOINC or SNOMED CT
// codes for these instruments, so none are used: measures are named in `code.text` only. The one
// coded value, the observation category "survey", is FHIR's own code system.

export type AdministrationForFhir = Pick<
  AdministrationRow,
  | 'id'
  | 'personId'
  | 'instrument'
  | 'timepoint'
  | 'completedAt'
  | 'completedBy'
  | 'completedByName'
  | 'mode'
  | 'rawScore'
  | 'metricScore'
  | 'answers'
>;

type Json = Record<string, unknown>;

const SURVEY = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey', display: 'Survey' }] };

/** The person's answers, one item per question, each answer the value on the instrument's scale. */
export function questionnaireResponse(a: AdministrationForFhir): Json {
  const def = INSTRUMENTS[a.instrument];
  const patient = { reference: `Patient/${a.personId}` };
  return {
    resourceType: 'QuestionnaireResponse',
    id: a.id,
    status: 'completed',
    subject: patient,
    authored: a.completedAt.toISOString(),
    // Who recorded the answers: the link worker, or the person through their link.
    author:
      a.mode === 'with_link_worker' && a.completedBy
        ? { reference: `Practitioner/${a.completedBy}`, ...(a.completedByName ? { display: a.completedByName } : {}) }
        : patient,
    source: patient,
    item: [
      {
        linkId: 'instrument',
        text: def.name,
        answer: [{ valueString: `${def.shortName}, ${TIMEPOINT_LABELS[a.timepoint].toLowerCase()}` }],
      },
      ...def.items.map((item) => ({ linkId: item.id, text: item.text, answer: [{ valueInteger: a.answers[item.id]! }] })),
    ],
  };
}

/** The score: SWEMWBS metric (raw as a component), the UCLA sum, or the four ONS4 answers with their bands. */
export function scoreObservation(a: AdministrationForFhir): Json {
  const def = INSTRUMENTS[a.instrument];
  const base = {
    resourceType: 'Observation',
    id: `${a.id}-score`,
    status: 'final',
    category: [SURVEY],
    subject: { reference: `Patient/${a.personId}` },
    effectiveDateTime: a.completedAt.toISOString(),
    derivedFrom: [{ reference: `QuestionnaireResponse/${a.id}` }],
    note: [{ text: `${TIMEPOINT_LABELS[a.timepoint]} measure` }],
  };
  if (a.instrument === 'swemwbs') {
    return {
      ...base,
      code: { text: 'SWEMWBS metric score' },
      valueQuantity: { value: a.metricScore, unit: 'score' },
      component: [{ code: { text: 'SWEMWBS raw score' }, valueInteger: a.rawScore }],
    };
  }
  if (a.instrument === 'ucla3') return { ...base, code: { text: 'UCLA 3-item loneliness score' }, valueInteger: a.rawScore };
  return {
    ...base,
    code: { text: def.name },
    component: def.items.map((item) => ({
      code: { text: item.text },
      valueInteger: a.answers[item.id],
      interpretation: [{ text: ons4Band(item.id, a.answers[item.id]!) }],
    })),
  };
}

/** Both resources in a collection Bundle. */
export function outcomeBundle(a: AdministrationForFhir): Json {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [questionnaireResponse(a), scoreObservation(a)].map((resource) => ({ resource })),
  };
}
