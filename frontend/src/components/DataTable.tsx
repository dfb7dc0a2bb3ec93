/**
 * A server-side paginated table with the three states every list has: loading (skeleton
 * rows), empty (what to do next, with a call to action) and error (the API's message, retry).
 * The page asks the API for one page; this component never sorts or slices rows itself.
 */
import { Alert, Button, Center, Group, Pagination, Skeleton, Stack, Table, Text, UnstyledButton } from "@mantine/core";
import type { ReactNode } from "react";
import { toFormError } from "../api/errors";

export interface Column<Row> {
  key: string;
  header: ReactNode;
  render: (row: Row) => ReactNode;
  /** Server-side sort: the column header becomes a button when set. */
  sortKey?: string;
  align?: "left" | "right" | "center";
  width?: number | string;
}

export interface SortState {
  by: string;
  order: "asc" | "desc";
}

export interface DataTableProps<Row> {
  caption: string;
  columns: Column<Row>[];
  rows: Row[] | undefined;
  rowKey: (row: Row) => string;
  isLoading: boolean;
  error?: unknown;
  onRetry?: () => void;
  empty: { title: string; description?: ReactNode; action?: ReactNode };
  page?: number;
  pageSize?: number;
  total?: number;
  onPageChange?: (page: number) => void;
  sort?: SortState;
  onSortChange?: (sort: SortState) => void;
  onRowClick?: (row: Row) => void;
}

const SKELETON_ROWS = 5;
/** The pager's arrow buttons carry icons only: their names for screen readers. */
const PAGE_CONTROL_LABELS = { first: "First page", previous: "Previous page", next: "Next page", last: "Last page" } as const;

function SortableHeader({ label, sortKey, sort, onSortChange }: { label: ReactNode; sortKey: string; sort?: SortState; onSortChange: (sort: SortState) => void }) {
  const active = sort?.by === sortKey;
  const next: SortState = { by: sortKey, order: active && sort?.order === "desc" ? "asc" : "desc" };
  return (
    <UnstyledButton onClick={() => onSortChange(next)} aria-label={`Sort by ${String(label)}`} fw={600} fz="sm">
      {label} {active ? (sort?.order === "desc" ? "↓" : "↑") : ""}
    </UnstyledButton>
  );
}

export function DataTable<Row>(props: DataTableProps<Row>) {
  const { caption, columns, rows, rowKey, isLoading, error, onRetry, empty, page = 1, pageSize, total, onPageChange, sort, onSortChange, onRowClick } = props;

  if (error) {
    return (
      <Alert color="red" title={`Could not load ${caption.toLowerCase()}`} role="alert">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{toFormError(error).message}</Text>
          {onRetry && (
            <Button size="xs" variant="light" onClick={onRetry}>
              Try again
            </Button>
          )}
        </Stack>
      </Alert>
    );
  }

  if (!isLoading && rows && rows.length === 0) {
    return (
      <Center py="xl">
        <Stack align="center" gap="xs" maw={520} ta="center">
          <Text fw={600}>{empty.title}</Text>
          {empty.description && <Text size="sm" c="dimmed" component="div">{empty.description}</Text>}
          {empty.action}
        </Stack>
      </Center>
    );
  }

  const pageCount = total !== undefined && pageSize ? Math.max(1, Math.ceil(total / pageSize)) : undefined;

  return (
    <Stack gap="sm">
      <Table.ScrollContainer minWidth={600}>
        <Table striped highlightOnHover={Boolean(onRowClick)} aria-busy={isLoading}>
          <Table.Caption style={{ captionSide: "top", textAlign: "left" }} className="visually-hidden">
            {caption}
          </Table.Caption>
          <Table.Thead>
            <Table.Tr>
              {columns.map((column) => (
                <Table.Th key={column.key} ta={column.align} w={column.width} aria-sort={sort?.by === column.sortKey ? (sort?.order === "desc" ? "descending" : "ascending") : undefined}>
                  {column.sortKey && onSortChange ? <SortableHeader label={column.header} sortKey={column.sortKey} sort={sort} onSortChange={onSortChange} /> : column.header}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {isLoading || !rows
              ? Array.from({ length: SKELETON_ROWS }, (_, index) => (
                  <Table.Tr key={`loading-${index}`}>
                    {columns.map((column) => (
                      <Table.Td key={column.key}>
                        <Skeleton height={14} />
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))
              : rows.map((row) => (
                  <Table.Tr
                    key={rowKey(row)}
                    onClick={onRowClick ? () => onRowClick(row) : undefined}
                    onKeyDown={onRowClick ? (event) => event.key === "Enter" && onRowClick(row) : undefined}
                    tabIndex={onRowClick ? 0 : undefined}
                    style={onRowClick ? { cursor: "pointer" } : undefined}
                  >
                    {columns.map((column) => (
                      <Table.Td key={column.key} ta={column.align}>
                        {column.render(row)}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {pageCount !== undefined && onPageChange && (
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            {total?.toLocaleString()} in all
          </Text>
          {pageCount > 1 && (
            <Pagination
              value={page}
              onChange={onPageChange}
              total={pageCount}
              size="sm"
              aria-label={`${caption} pages`}
              getControlProps={(control) => ({ "aria-label": PAGE_CONTROL_LABELS[control] })}
              getItemProps={(item) => ({ "aria-label": `Page ${item}`, "aria-current": item === page ? "page" : undefined })}
            />
          )}
        </Group>
      )}
    </Stack>
  );
}
