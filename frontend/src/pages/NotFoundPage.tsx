import { Anchor, Text } from "@mantine/core";
import { Link } from "react-router";
import { PageHeader } from "../components/PageHeader";

export default function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Text>
        Nothing lives at this address. <Anchor component={Link} to="/dashboard">Go to the dashboard</Anchor>.
      </Text>
    </>
  );
}
