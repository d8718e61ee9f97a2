-- A website chat's look, per inbox (parley.WidgetLook as JSON). Paired
-- with ../postgres/0031_widget_look.sql.
ALTER TABLE inboxes ADD COLUMN widget_look TEXT NOT NULL DEFAULT '{}';
