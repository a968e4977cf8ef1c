// Optimistic list changes: the change shows at once; a refusal restores every cached variant
// of the list and says why in a toast; either way the affected queries are refetched.
import { useMutation, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { errorText } from "../api";
import { toast } from "./ui";

type Options<TData, TVars, TResult> = {
  /** The list's key; every cached variant under this prefix is changed and restored. */
  queryKey: QueryKey;
  mutationFn: (vars: TVars) => Promise<TResult>;
  /** The list as it looks once the server agrees. */
  update: (data: TData, vars: TVars) => TData;
  /** Refetched once the server answered (the list's key always is). */
  invalidate?: QueryKey[];
  onSuccess?: (result: TResult, vars: TVars) => void;
};

export function useOptimisticList<TData, TVars, TResult = unknown>(options: Options<TData, TVars, TResult>) {
  const client = useQueryClient();
  return useMutation<TResult, unknown, TVars, { snapshot: [QueryKey, TData | undefined][] }>({
    mutationFn: options.mutationFn,
    onMutate: async (vars) => {
      await client.cancelQueries({ queryKey: options.queryKey });
      const snapshot = client.getQueriesData<TData>({ queryKey: options.queryKey });
      client.setQueriesData<TData>({ queryKey: options.queryKey }, (old) =>
        old === undefined ? old : options.update(old, vars),
      );
      return { snapshot };
    },
    onError: (error, _vars, context) => {
      for (const [key, data] of context?.snapshot ?? []) client.setQueryData(key, data);
      toast("error", errorText(error));
    },
    onSuccess: options.onSuccess,
    onSettled: () => {
      for (const key of [options.queryKey, ...(options.invalidate ?? [])]) {
        void client.invalidateQueries({ queryKey: key });
      }
    },
  });
}
