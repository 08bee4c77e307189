import { createContext, useContext } from 'react';
import { useStore, type StoreApi } from 'zustand';
import type { LabState } from '../store/types';

/**
 * React's view of the lab store: components select the slice of state they
 * render (with useShallow for objects) and call actions; nothing else.
 */
export const LabStoreContext = createContext<StoreApi<LabState> | null>(null);

/** Selects from the lab store inside LabStoreContext; re-renders when the selection changes. */
export function useLab<T>(selector: (state: LabState) => T): T {
  const store = useContext(LabStoreContext);
  if (!store) throw new Error('useLab outside <LabStoreContext.Provider>');
  return useStore(store, selector);
}
