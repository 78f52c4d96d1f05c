/** Adds to a Map or Set, forgetting the oldest entry beyond `max`: bounded bookkeeping for a long call. */
export function remember<K, V>(store: Map<K, V> | Set<K>, key: K, value: V, max: number): void {
  if (store instanceof Map) store.set(key, value);
  else store.add(key);
  if (store.size > max) {
    const oldest = store.keys().next();
    if (!oldest.done) store.delete(oldest.value);
  }
}
