import { Button, type ButtonProps } from "@mantine/core";
import type { ComponentPropsWithoutRef } from "react";
import { useCan, type Ability } from "../auth/SessionContext";

type WriteButtonProps = ButtonProps & ComponentPropsWithoutRef<"button"> & { ability?: Exclude<Ability, "read"> };

/**
 * A button for a change (create, edit, delete, rescore): not rendered for members whose role
 * would be refused. `data-write-control` lets the browser tests check that a Viewer sees none.
 */
export function WriteButton({ ability = "write", ...props }: WriteButtonProps) {
  const allowed = useCan(ability);
  if (!allowed) return null;
  return <Button data-write-control="" {...props} />;
}
