/**
 * Where ZOOM keeps things under the root key (storage.md §1). One object so that every caller
 * builds paths the same way.
 */
export interface ZoomLayout {
  root: string;
  zoom: string;
  models(clazz: string): string;
  model(clazz: string, id: string): string;
  objects(clazz: string): string;
  object(clazz: string, id: string): string;
  tables(clazz: string, id?: string): string;
  state(namespace: string, clazz?: string, id?: string): string;
  zoomLocks: string;
  topologyLock: string;
  sequences(name: string): string;
}

export function zoomLayout(root: string): ZoomLayout {
  const zoom = `${root}/zoom/0`;
  return {
    root,
    zoom,
    models: (c) => `${zoom}/models/${c}`,
    model: (c, id) => `${zoom}/models/${c}/${id}`,
    objects: (c) => `${zoom}/objects/${c}`,
    object: (c, id) => `${zoom}/objects/${c}/${id}`,
    tables: (c, id) => (id ? `${zoom}/tables/${c}/${id}` : `${zoom}/tables/${c}`),
    state: (ns, c, id) => [`${zoom}/state/${ns}`, c, id].filter((x) => x !== undefined).join('/'),
    zoomLocks: `${zoom}/zoomlocks`,
    topologyLock: `${zoom}/locks/zoom-topology`,
    sequences: (name) => `${root}/sequences/${name}`,
  };
}
