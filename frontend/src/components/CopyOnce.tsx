import { Alert, Button, CopyButton, Group, Code } from "@mantine/core";

/** A secret the API shows once (credential secret, webhook signing secret): copy it now. */
export function CopyOnce({ label, secret, onDone }: { label: string; secret: string; onDone?: () => void }) {
  return (
    <Alert color="yellow" title={label} role="status">
      <p>Copy it now: it will not be shown again.</p>
      <Group gap="sm" wrap="nowrap">
        <Code block style={{ flex: 1, wordBreak: "break-all" }} aria-label={label}>
          {secret}
        </Code>
        <CopyButton value={secret}>
          {({ copied, copy }) => (
            <Button onClick={copy} color={copied ? "teal" : undefined} variant="light">
              {copied ? "Copied" : "Copy"}
            </Button>
          )}
        </CopyButton>
        {onDone && (
          <Button variant="default" onClick={onDone}>
            Done
          </Button>
        )}
      </Group>
    </Alert>
  );
}
