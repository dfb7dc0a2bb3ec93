import { Alert, Code, FileInput, Group, List, Paper, Progress, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { api } from "../../api/client";
import { toFormError, unwrap } from "../../api/errors";
import { invalidatePaths } from "../../api/queryClient";
import { FormErrorAlert } from "../../components/formErrors";
import { RelativeTime } from "../../components/Time";
import { isJobFinished, useJobProgress } from "../../components/useJobProgress";
import { WriteButton } from "../../components/WriteButton";
import { useCan } from "../../auth/SessionContext";
import { describeImport, type ImportJob } from "./importProgress";

const COLUMNS_HELP = "event_type (required), lead_id, timestamp (RFC 3339 with offset), metadata (a JSON object), external_id, email, phone, cookie, social";

function ImportJobPanel({ jobId }: { jobId: string }) {
  const queryClient = useQueryClient();
  const job = useJobProgress<ImportJob>(`/api/v1/events/imports/${encodeURIComponent(jobId)}`);
  const finished = isJobFinished(job.data);
  useEffect(() => {
    // The imported events change the lists and totals the other pages show.
    if (finished) void invalidatePaths(queryClient, ["/api/v1/events", "/api/v1/leads", "/api/v1/analytics"]);
  }, [finished, queryClient]);
  if (job.error) return <FormErrorAlert error={job.error} />;
  if (!job.data) return <Progress value={0} animated striped aria-label="Import progress" />;
  const view = describeImport(job.data);
  const { errors, ignored_columns: ignored } = job.data;
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Group justify="space-between">
          <Text fw={600}>{job.data.file_name}</Text>
          <Text size="sm" c="dimmed">
            started <RelativeTime value={job.data.started_at ?? job.data.created_at} />
          </Text>
        </Group>
        <Progress value={view.percent} color={view.color} animated={view.active} striped={view.active} size="lg" aria-label="Import progress" aria-valuetext={view.label} />
        <Text size="sm" role="status" aria-live="polite">
          {view.label}
        </Text>
        {ignored.length > 0 && (
          <Text size="sm" c="dimmed">
            Ignored columns: {ignored.join(", ")}
          </Text>
        )}
        {errors.length > 0 && (
          <>
            <Title order={4}>Row errors{job.data.rows_failed > errors.length ? ` (first ${errors.length} of ${job.data.rows_failed})` : ""}</Title>
            <Table striped>
              <Table.Caption className="visually-hidden">Row errors</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Row</Table.Th>
                  <Table.Th>Column</Table.Th>
                  <Table.Th>Problem</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {errors.map((error) => (
                  <Table.Tr key={`${error.row}-${error.column ?? ""}-${error.message}`}>
                    <Table.Td>{error.row}</Table.Td>
                    <Table.Td>{error.column ?? "(whole row)"}</Table.Td>
                    <Table.Td>{error.message}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </>
        )}
      </Stack>
    </Paper>
  );
}

export function ImportTab() {
  const canWrite = useCan("write");
  const [searchParams, setSearchParams] = useSearchParams();
  const jobId = searchParams.get("job");
  const [file, setFile] = useState<File | null>(null);
  const upload = useMutation({
    mutationFn: (csv: File) =>
      unwrap(
        api.POST("/api/v1/events/import", {
          // The schema types a binary part as a string; the browser sends the File as is.
          body: { file: csv as unknown as string },
          bodySerializer: (body) => {
            const form = new FormData();
            form.append("file", body.file as unknown as Blob);
            return form;
          },
        }),
      ),
    onSuccess: (job) => {
      setFile(null);
      setSearchParams({ job: job.id });
    },
  });

  return (
    <Stack gap="md" maw={900}>
      <Text size="sm">
        A CSV file with a header row; columns: {COLUMNS_HELP}. Others are ignored. Up to 50 MB; rows are imported in the background.
      </Text>
      <Code block>{"event_type,lead_id,timestamp,metadata\npage_view,lead-1,2026-12-01T09:30:00Z,\"{\"\"url\"\": \"\"/pricing\"\"}\""}</Code>
      {canWrite ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (file) upload.mutate(file);
          }}
        >
          <Group align="flex-end">
            <FileInput label="CSV file" placeholder="Choose a .csv file" accept=".csv,text/csv" value={file} onChange={setFile} clearable w={360} error={upload.error ? toFormError(upload.error).fieldErrors.file : undefined} />
            <WriteButton type="submit" disabled={!file} loading={upload.isPending}>
              Import
            </WriteButton>
          </Group>
        </form>
      ) : (
        <Alert color="gray" title="Read-only">
          Importing events needs the Operator role in this OU.
        </Alert>
      )}
      <FormErrorAlert error={upload.error} />
      {jobId && <ImportJobPanel key={jobId} jobId={jobId} />}
      {!jobId && (
        <List size="sm" c="dimmed">
          <List.Item>Leads are matched by lead_id or by an alias column (email, phone, cookie, …); unknown ones are created.</List.Item>
          <List.Item>Each row is scored like an event sent to the API; the progress and the failed rows show here.</List.Item>
        </List>
      )}
    </Stack>
  );
}
