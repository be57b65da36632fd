/**
 * Indices waiting their turn, taken smallest first: a binary min-heap, so that choosing the
 * earliest of thousands of processes free to start costs log n, not a scan of them all.
 */
export class ReadyQueue {
  readonly #heap: number[] = [];

  push(index: number): void {
    const heap = this.#heap;
    let at = heap.push(index) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = heap[parent] ?? 0;
      if (above <= index) break;
      heap[at] = above;
      at = parent;
    }
    heap[at] = index;
  }

  /** The smallest index, removed; undefined when none is left. */
  pop(): number | undefined {
    const heap = this.#heap;
    const smallest = heap[0];
    const last = heap.pop();
    if (smallest === undefined || last === undefined || heap.length === 0) return smallest;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] ?? 0) < (heap[left] ?? 0) ? right : left;
      const below = heap[child] ?? 0;
      if (below >= last) break;
      heap[at] = below;
      at = child;
    }
    heap[at] = last;
    return smallest;
  }
}
