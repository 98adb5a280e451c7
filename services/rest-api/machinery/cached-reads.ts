/**
 * Reads of the REST handlers from the node's topology cache (lib/nsdb/cache/): one `sync` per
 * request, shared by every class the request reads, then objects from memory; and the JSON of
 * an object rendered once per object version and API root, kept next to it and sent as text.
 * Undefined wherever the cache cannot serve (disabled, not connected, a class too big): the
 * handlers then read ZooKeeper directly, as without a cache.
 */
import type { ModelClass } from '../../../lib/models/generated.js';
import type { CachedObject, ClassView, Fresh } from '../../../lib/nsdb/cache/topology-cache.js';
import { cloneMsg } from '../../../lib/nsdb/msg.js';
import { stringifyJson } from '../../../lib/http/json.js';
import { renderJson } from './dto.js';
import type { AnyResource, Dto, RequestContext } from './types.js';

/**
 * A reply item or body already rendered: its JSON text (sent as it is) and the object it is the
 * text of (read by the tenant filters). Both are shared between requests: never modified.
 */
export class JsonText {
  constructor(
    readonly dto: Readonly<Dto>,
    readonly text: string,
  ) {}
}

const FRESH = 'topology-cache:fresh';

/**
 * The class from the cache as fresh as a read made now, or undefined (read ZooKeeper instead).
 * `forOne`: for one object, which is not worth waiting for the class to be filled (a list is).
 */
export async function cachedClass(ctx: RequestContext, clazz: ModelClass, forOne = false): Promise<ClassView | undefined> {
  const cache = ctx.storage.cache;
  if (!cache || !ctx.storage.isBuilt) return undefined;
  // one sync per request: its classes are all read as of the same point
  let fresh = ctx.memo.get(FRESH) as Promise<Fresh | undefined> | undefined;
  if (!fresh) {
    fresh = cache.fresh(clazz);
    ctx.memo.set(FRESH, fresh);
  }
  const point = await fresh;
  return point ? cache.view(clazz, point, !forOne) : undefined;
}

/**
 * The JSON of a cached object: its text kept with it when the declaration adds nothing per
 * request (no `decorate`, or `decorates` false for this object), else rendered and decorated now.
 */
export async function renderCached(def: AnyResource, view: ClassView, obj: CachedObject, ctx: RequestContext): Promise<Dto | JsonText> {
  const hooks = def.hooks;
  if (hooks?.decorate && (hooks.decorates?.(obj.msg) ?? true)) {
    const proto = cloneMsg(obj.msg);
    const json = renderJson(def, proto, ctx.base);
    await hooks.decorate(json, proto, ctx);
    return json;
  }
  return view.derive(
    obj,
    `${def.name}\u0000${ctx.base}`,
    () => {
      const dto = renderJson(def, obj.msg, ctx.base);
      return new JsonText(dto, stringifyJson(dto));
    },
    // the text, and the object it was made from (kept for the tenant filters): about three
    // times as much again on the heap
    (j) => j.text.length * 4,
  );
}
