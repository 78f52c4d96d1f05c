import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type VirtualItem,
  Virtualizer,
} from '@tanstack/virtual-core';
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';

export interface VirtualListProps {
  count: number;
  /** Estimated row height in px; rows are measured once rendered. */
  estimate: number;
  renderRow: (index: number) => ComponentChildren;
  /** Accessible name of the list. */
  label: string;
  /** Called when the last rows come into view (to load the next page). */
  onEnd?: () => void;
  className?: string;
}

/**
 * Only the rows in view (and a few around them) are in the DOM, whatever the count: @tanstack/virtual-core,
 * driven by this small hook. Rows are items of a list labelled for screen readers.
 */
export function VirtualList({ count, estimate, renderRow, label, onEnd, className }: VirtualListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [virtualizer] = useState(
    () =>
      new Virtualizer<HTMLDivElement, Element>({
        count,
        estimateSize: () => estimate,
        getScrollElement: () => scrollRef.current,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        overscan: 6,
        onChange: () => rerender(undefined as never),
      }),
  );
  virtualizer.setOptions({ ...virtualizer.options, count });
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => virtualizer._willUpdate());

  const items: VirtualItem[] = virtualizer.getVirtualItems();
  const last = items.at(-1);
  useEffect(() => {
    if (onEnd && last && last.index >= count - 5) onEnd();
  }, [last?.index, count]);

  return (
    <div ref={scrollRef} class={`virtual-scroll ${className ?? ''}`} tabIndex={-1}>
      <ul aria-label={label} class="virtual-rows" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {items.map((item) => (
          <li
            key={item.key}
            data-index={item.index}
            ref={(el) => {
              if (el) virtualizer.measureElement(el);
            }}
            style={{
              position: 'absolute',
              top: 0,
              left: 0,
              width: '100%',
              transform: `translateY(${item.start}px)`,
            }}
          >
            {renderRow(item.index)}
          </li>
        ))}
      </ul>
    </div>
  );
}
