import { Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { session } from "../../api/client";
import { useSessionStatus } from "../../auth/SessionContext";
import { applyApiErrors, FormErrorAlert } from "../../components/formErrors";

export default function SignInPage() {
  const status = useSessionStatus();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/dashboard";
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({
    initialValues: { email: "", password: "" },
    validate: {
      email: (value) => (/^\S+@\S+$/.test(value) ? null : "Enter your email address"),
      password: (value) => (value ? null : "Enter your password"),
    },
  });

  if (status === "signedIn") return <Navigate to={from} replace />;

  const submit = form.onSubmit(async (values) => {
    setFailure(null);
    try {
      await session.signIn(values);
      void navigate(from, { replace: true });
    } catch (error) {
      applyApiErrors(form, error);
      setFailure(error);
    }
  });

  return (
    <Center mih="100vh" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={380} component="form" onSubmit={submit} noValidate>
        <Stack>
          <Title order={2}>Sign in to Leadvibe</Title>
          <FormErrorAlert error={failure} title="Not signed in" />
          <TextInput label="Email" type="email" autoComplete="username" required {...form.getInputProps("email")} />
          <PasswordInput label="Password" autoComplete="current-password" required {...form.getInputProps("password")} />
          <Button type="submit" loading={form.submitting}>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
