/**
 * `/conf` (rest-api-extras.md §5.9, mn-conf.md §8): the central configuration in ZooKeeper — the
 * documents `mn-conf` reads and writes, through the same store (lib/conf/zk-store.ts) — as text:
 * HOCON in, formatted JSON out (`text/plain`), as the original's ConfResource. Writes are checked
 * against the schemas as `mn-conf set` checks them; what does not validate is a 400 and nothing
 * is written. Not CRUD on stored objects, hence plain routes. Admins only (with tenant scoping
 * on, a tenant role gets 403, as for every route tenant scoping does not open).
 */
import { getPath, HoconError, isEmpty, obj, parse, render, str, toStr, type HList, type HObject } from '../../../lib/conf/hocon.js';
import { ConfigStore } from '../../../lib/conf/zk-store.js';
import { badRequest } from '../../../lib/http/errors.js';
import { pathId } from '../machinery/handlers.js';
import type { Reply, RequestContext, RouteDef } from '../machinery/types.js';

const TEXT = 'text/plain';

function store(ctx: RequestContext): ConfigStore {
  return new ConfigStore(ctx.storage.zookeeper, ctx.storage.layout.root);
}

function text(conf: HObject): Reply {
  return { status: 200, text: render(conf, { json: true }), contentType: TEXT };
}

const OK: Reply = { status: 200 };

/** The request body as HOCON; unparsable text is a 400. */
function bodyConf(ctx: RequestContext): HObject {
  try {
    return parse(typeof ctx.body === 'string' ? ctx.body : '', 'request body');
  } catch (e) {
    throw badRequest(`The configuration is not valid HOCON: ${(e as Error).message}`);
  }
}

/** The body, checked against the schemas as `mn-conf set` checks it. */
async function validBody(ctx: RequestContext, s: ConfigStore): Promise<HObject> {
  const conf = bodyConf(ctx);
  const result = await s.validate(conf, process.env);
  if (result.errors.length > 0) throw badRequest(`The configuration does not validate: ${result.errors.join('; ')}`);
  return conf;
}

/** A template name from the path (no '/', not empty); the store's own check, as a 400. */
function templatePath(s: ConfigStore, ctx: RequestContext): string {
  try {
    return s.templatePath(ctx.params['name'] ?? '');
  } catch (e) {
    if (e instanceof HoconError) throw badRequest(e.message);
    throw e;
  }
}

async function schemas(ctx: RequestContext): Promise<Reply> {
  return text(await store(ctx).mergedSchemas());
}

async function getNode(ctx: RequestContext): Promise<Reply> {
  const s = store(ctx);
  return text((await s.read(s.nodePath(pathId(ctx)))).conf);
}

async function setNode(ctx: RequestContext): Promise<Reply> {
  const s = store(ctx);
  const path = s.nodePath(pathId(ctx));
  await s.mergeAndSet(path, await validBody(ctx, s));
  return OK;
}

async function clearNode(ctx: RequestContext): Promise<Reply> {
  const s = store(ctx);
  await s.clearAndSet(s.nodePath(pathId(ctx)), obj());
  return OK;
}

async function runtime(ctx: RequestContext): Promise<Reply> {
  return text(await store(ctx).centralConfig(pathId(ctx)));
}

async function templates(ctx: RequestContext): Promise<Reply> {
  const names = await store(ctx).listTemplates();
  const templateList: HList = { t: 'list', items: names.map((n) => str(n)) };
  return text(obj([['templates', templateList]]));
}

async function getTemplate(ctx: RequestContext): Promise<Reply> {
  const s = store(ctx);
  return text((await s.read(templatePath(s, ctx))).conf);
}

async function setTemplate(ctx: RequestContext): Promise<Reply> {
  const s = store(ctx);
  const path = templatePath(s, ctx);
  await s.mergeAndSet(path, await validBody(ctx, s));
  return OK;
}

async function clearTemplate(ctx: RequestContext): Promise<Reply> {
  const s = store(ctx);
  await s.clearAndSet(templatePath(s, ctx), obj());
  return OK;
}

async function mappings(ctx: RequestContext): Promise<Reply> {
  return text(await store(ctx).templateMappings());
}

/** Body `{"<nodeId>": "<template>"}`: maps the node; answers the node's resulting mapping. */
async function setMapping(ctx: RequestContext): Promise<Reply> {
  const s = store(ctx);
  const node = pathId(ctx);
  const conf = bodyConf(ctx);
  const v = isEmpty(conf) ? undefined : getPath(conf, [node]);
  let template: string;
  try {
    if (v === undefined) throw new HoconError(`no template is given for ${node}`);
    template = toStr(v);
    await s.assignTemplate(node, template);
  } catch (e) {
    if (e instanceof HoconError) throw badRequest(`Expected {"${node}": "<template>"}: ${e.message}`);
    throw e;
  }
  return text(obj([[node, str(await s.templateNameForNode(node))]]));
}

async function clearMapping(ctx: RequestContext): Promise<Reply> {
  await store(ctx).clearTemplate(pathId(ctx));
  return OK;
}

const produces = [TEXT];
const consumes = [TEXT];

export const confRoutes: RouteDef[] = [
  { method: 'GET', path: '/conf/schemas', regime: 'E', produces, handler: schemas },
  { method: 'GET', path: '/conf/nodes/:id', regime: 'E', produces, handler: getNode },
  { method: 'POST', path: '/conf/nodes/:id', regime: 'E', consumes, bodyText: true, handler: setNode },
  { method: 'DELETE', path: '/conf/nodes/:id', handler: clearNode },
  { method: 'GET', path: '/conf/runtime/:id', regime: 'E', produces, handler: runtime },
  { method: 'GET', path: '/conf/templates', regime: 'E', produces, handler: templates },
  { method: 'GET', path: '/conf/templates/:name', regime: 'E', produces, handler: getTemplate },
  { method: 'POST', path: '/conf/templates/:name', regime: 'E', consumes, bodyText: true, handler: setTemplate },
  { method: 'DELETE', path: '/conf/templates/:name', handler: clearTemplate },
  { method: 'GET', path: '/conf/template-mappings', regime: 'E', produces, handler: mappings },
  { method: 'POST', path: '/conf/template-mappings/:id', regime: 'E', consumes, bodyText: true, handler: setMapping },
  { method: 'DELETE', path: '/conf/template-mappings/:id', handler: clearMapping },
];
