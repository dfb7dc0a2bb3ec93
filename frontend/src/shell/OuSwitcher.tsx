import { Select } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { toFormError } from "../api/errors";
import { useSession } from "../auth/SessionContext";

export function OuSwitcher() {
  const { units, activeOu, switchOu } = useSession();
  return (
    <Select
      aria-label="Organization unit"
      data-testid="ou-switcher"
      data={units.map((unit) => ({ value: unit.unit_id, label: unit.name }))}
      value={activeOu?.unit_id ?? null}
      allowDeselect={false}
      w={220}
      onChange={(ouId) => {
        if (ouId && ouId !== activeOu?.unit_id) {
          switchOu(ouId).catch((error: unknown) =>
            notifications.show({ color: "red", title: "Could not switch", message: toFormError(error).message }),
          );
        }
      }}
    />
  );
}
