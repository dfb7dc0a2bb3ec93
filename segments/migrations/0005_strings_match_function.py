from django.db import migrations

# The list branch of the text operators (segments.rules._value_sql): a function, so the scan
# that calls it for the leads whose value is a list stays parallel and has no subplan.
CREATE = """
CREATE OR REPLACE FUNCTION segments_strings_match(items jsonb, operator text, needle text)
RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT EXISTS (
    SELECT 1 FROM jsonb_array_elements(items) AS item
    WHERE jsonb_typeof(item) = 'string' AND CASE operator
      WHEN 'contains' THEN strpos(lower(item #>> '{}'), lower(needle)) > 0
      WHEN 'starts_with' THEN starts_with(lower(item #>> '{}'), lower(needle))
      ELSE starts_with(reverse(lower(item #>> '{}')), reverse(lower(needle)))
    END
  )
$$
"""


class Migration(migrations.Migration):
    dependencies = [("segments", "0004_membership_score_rank")]

    operations = [
        migrations.RunSQL(CREATE, "DROP FUNCTION segments_strings_match(jsonb, text, text)"),
    ]
