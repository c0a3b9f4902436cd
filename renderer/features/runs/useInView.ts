import { useEffect, useState, type RefObject } from 'react';

/**
 * Whether an element is on screen or within `margin` pixels of it, kept current by an
 * IntersectionObserver (true where there is none): a live chart scrolled out of view is drawn
 * again only when it comes back.
 */
export function useInView(ref: RefObject<HTMLElement | null>, margin = 200): boolean {
  const [inView, setInView] = useState(true);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(([entry]) => setInView(entry.isIntersecting), { rootMargin: `${margin}px` });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, margin]);
  return inView;
}
