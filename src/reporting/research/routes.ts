import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { rolePolicy } from '../../identity/policy.ts';
import { NEED_CHOICES } from '../../vocabulary/needs.ts';
import { practiceChoices } from '../../identity/web.ts';
import type { Actor } from '../../identity/actor.ts';
import { attempt, ctx, firstVisit, type FormState, selectItems, sendFile, signedIn, view } from '../../web/pages.ts';
import { field } from '../../web/forms.ts';
import { formatDateTime } from '../../calendar/format.ts';
import { FormBody, Id, IdParams, Text } from '../../web/schemas.ts';
import * as service from './service.ts';

const researchers = rolePolicy('researcher', 'researcher');

const ProjectParams = IdParams('projectId');
const ExtractParams = IdParams('projectId', 'extractId');
// Only the files an extract holds: any other name is a 404.
const FileParams = Type.Object({
  projectId: Id,
  extractId: Id,
  file: Type.Enum(service.EXTRACT_FILES),
});
// Generous limits: the service's checks give the messages a person can act on.
const ProjectForm = FormBody({ name: Text(5000), purpose: Text(20000), approvalReference: Text(5000) });
const ExtractForm = FormBody({ from: Text(), to: Text(), practice: Text(), need: Text() });

const PAGES = 'reporting/research/views';
/** The manifest's filters as the extract page names them; extracts made before filters have only the first two. */
const FILTER_LABELS: [string, string][] = [
  ['received_from', 'Referrals received from'],
  ['received_to', 'Referrals received to'],
  ['practice', 'Practice'],
  ['need', 'Need'],
  ['consent', 'Consent'],
  ['records', 'Records'],
];

/** Research projects and their pseudonymised extracts, for researchers only. */
export const researchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/research', { config: { policy: researchers } }, async (req, reply) => {
    const projects = await service.listProjects(pool, signedIn(req));
    return view(reply, 200, `${PAGES}/projects.njk`, {
      projects: projects.map((p) => ({
        ...p,
        created: formatDateTime(p.createdAt),
        lastExtract: p.lastExtractAt ? formatDateTime(p.lastExtractAt) : 'None yet',
      })),
    });
  });

  const newProjectPage = (reply: FastifyReply, { status, values, errors }: FormState = firstVisit()) =>
    view(reply, status, `${PAGES}/new-project.njk`, { values }, errors);

  app.get('/research/projects/new', { config: { policy: researchers } }, async (_req, reply) => newProjectPage(reply));

  app.post(
    '/research/projects',
    { schema: { body: ProjectForm }, config: { policy: researchers, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const created = await attempt(() => service.createProject(pool, actor, actor.tenantId, req.body, ctx(req)), {
        field: 'name',
        values: req.body,
      });
      if (!created.ok) return newProjectPage(reply, created.form);
      return reply.redirect(`/research/projects/${created.value}`, 303);
    },
  );

  async function showProject(reply: FastifyReply, actor: Actor, projectId: string, { status, values, errors }: FormState = firstVisit()) {
    const { project, extracts } = await service.getProject(pool, actor, projectId);
    const practices = await service.extractPractices(pool, actor, actor.tenantId);
    return view(
      reply,
      status,
      `${PAGES}/project.njk`,
      {
        project: { ...project, created: formatDateTime(project.createdAt) },
        values,
        practiceItems: selectItems('All practices', practiceChoices(practices), values.practice),
        needItems: selectItems('Any need', NEED_CHOICES, values.need),
        extracts: extracts.map((e) => ({
          ...e,
          generated: formatDateTime(e.generatedAt),
          figures: (e.manifest as unknown as service.Manifest).kAnonymity,
        })),
      },
      errors,
    );
  }

  app.get('/research/projects/:projectId', { schema: { params: ProjectParams }, config: { policy: researchers } }, async (req, reply) =>
    showProject(reply, signedIn(req), req.params.projectId),
  );

  app.post(
    '/research/projects/:projectId/extracts',
    { schema: { params: ProjectParams, body: ExtractForm }, config: { policy: researchers, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const filter = {
        from: field(req.body, 'from'),
        to: field(req.body, 'to'),
        practice: field(req.body, 'practice'),
        need: field(req.body, 'need'),
      };
      const generated = await attempt(
        () => service.generateExtract(pool, actor, actor.tenantId, req.params.projectId, new Date(), ctx(req), filter),
        { field: 'from', values: filter },
      );
      if (!generated.ok) return showProject(reply, actor, req.params.projectId, generated.form);
      const { projectId, extractId } = generated.value;
      return reply.redirect(`/research/projects/${projectId}/extracts/${extractId}`, 303);
    },
  );

  app.get(
    '/research/projects/:projectId/extracts/:extractId',
    { schema: { params: ExtractParams }, config: { policy: researchers } },
    async (req, reply) => {
      const { project, extract, practiceName } = await service.getExtract(pool, signedIn(req), req.params.projectId, req.params.extractId);
      const base = `/research/projects/${project.id}/extracts/${extract.id}`;
      return view(reply, 200, `${PAGES}/extract.njk`, {
        project,
        extract,
        generated: formatDateTime(extract.generatedAt),
        manifest: extract.manifest,
        base,
        filters: FILTER_LABELS.filter(([key]) => extract.manifest.filters[key] !== undefined).map(([key, label]) => ({
          key: { text: label },
          // The files name a chosen practice only by pseudonym; this page, inside Signpost, names it too.
          value: {
            text: key === 'practice' && practiceName ? `${practiceName}: ${extract.manifest.filters[key]}` : extract.manifest.filters[key],
          },
        })),
        files: service.EXTRACT_FILES.map((name) => ({
          name,
          href: `${base}/files/${name}`,
          rows: extract.manifest.rowCounts[name as keyof service.Manifest['rowCounts']],
        })),
      });
    },
  );

  app.get(
    '/research/projects/:projectId/extracts/:extractId/extract.zip',
    { schema: { params: ExtractParams }, config: { policy: researchers } },
    async (req, reply) => {
      const file = await service.downloadExtract(pool, signedIn(req), req.params.projectId, req.params.extractId, null, ctx(req));
      return sendFile(
        reply,
        { type: 'application/zip', disposition: 'attachment', name: `research-extract-${req.params.extractId.slice(0, 8)}.zip` },
        file.body,
      );
    },
  );

  app.get(
    '/research/projects/:projectId/extracts/:extractId/files/:file',
    { schema: { params: FileParams }, config: { policy: researchers } },
    async (req, reply) => {
      const name = req.params.file;
      const file = await service.downloadExtract(pool, signedIn(req), req.params.projectId, req.params.extractId, name, ctx(req));
      const type = name.endsWith('.csv')
        ? 'text/csv; charset=utf-8'
        : name.endsWith('.json')
          ? 'application/json; charset=utf-8'
          : 'text/markdown; charset=utf-8';
      return sendFile(reply, { type, disposition: 'attachment', name: file.name }, file.body);
    },
  );
};
