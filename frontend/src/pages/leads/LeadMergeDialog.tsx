import { Alert, Button, Group, Modal, MultiSelect, Stack, Text } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import { unwrap } from "../../api/errors";
import { invalidatePaths } from "../../api/queryClient";
import { applyApiErrors, FormErrorAlert } from "../../components/formErrors";
import { SEARCH_MIN_LENGTH } from "./listParams";
import { leadEventHistoryKey } from "./useLeadEventHistory";

/** Merges other leads into this one (their events, aliases and scores move here). */
export function LeadMergeDialog({ leadId, opened, onClose }: { leadId: string; opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const form = useForm<{ sourceLeadIds: string[] }>({ initialValues: { sourceLeadIds: [] } });
  const [searchValue, setSearchValue] = useState("");
  const [query] = useDebouncedValue(searchValue.trim(), 250);
  const candidates = useQuery({
    queryKey: ["/api/v1/leads/search", { q: query }],
    queryFn: () => unwrap(api.GET("/api/v1/leads/search", { params: { query: { q: query } } })),
    enabled: opened && query.length >= SEARCH_MIN_LENGTH,
  });
  const options = [...new Set([...form.values.sourceLeadIds, ...(candidates.data ?? []).map((lead) => lead.id).filter((id) => id !== leadId)])];

  const merge = useMutation({
    mutationFn: (sourceLeadIds: string[]) => unwrap(api.POST("/api/v1/leads/merge", { body: { targetLeadId: leadId, sourceLeadIds } })),
    onSuccess: async (result) => {
      notifications.show({ color: "green", title: "Leads merged", message: `${result.mergedSources.length} merged, ${result.movedEvents.toLocaleString()} events moved. Scores are being recomputed.` });
      form.reset();
      onClose();
      await invalidatePaths(queryClient, ["/api/v1/leads"]);
      await queryClient.invalidateQueries({ queryKey: leadEventHistoryKey(leadId) });
    },
    onError: (error) => applyApiErrors(form, error),
  });

  const count = form.values.sourceLeadIds.length;
  return (
    <Modal opened={opened} onClose={onClose} title={`Merge leads into ${leadId}`} centered size="lg">
      <form onSubmit={form.onSubmit((values) => merge.mutate(values.sourceLeadIds))}>
        <Stack>
          <Text size="sm">The chosen leads' events and aliases move to this lead and its scores are recomputed. The merged leads stay only as pointers to this one. This cannot be undone.</Text>
          <MultiSelect
            label="Leads to merge into this one"
            placeholder="Type 2+ characters of a lead id or email"
            data={options}
            searchable
            searchValue={searchValue}
            onSearchChange={setSearchValue}
            nothingFoundMessage={query.length >= SEARCH_MIN_LENGTH ? "No lead matches" : "Type at least 2 characters"}
            {...form.getInputProps("sourceLeadIds")}
          />
          {form.errors.targetLeadId && (
            <Alert color="red" role="alert">
              {form.errors.targetLeadId}
            </Alert>
          )}
          <FormErrorAlert error={merge.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={merge.isPending}>
              Cancel
            </Button>
            <Button type="submit" color="red" loading={merge.isPending} disabled={count === 0}>
              {count ? `Merge ${count} lead${count > 1 ? "s" : ""}` : "Merge"}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
