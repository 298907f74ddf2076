CREATE TABLE `import_chunks` (
	`tenant_id` text NOT NULL,
	`import_id` text NOT NULL,
	`chunk` integer NOT NULL,
	`rows` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `import_id`, `chunk`)
);
--> statement-breakpoint
CREATE TABLE `import_files` (
	`tenant_id` text NOT NULL,
	`import_id` text NOT NULL,
	`part` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `import_id`, `part`)
);
--> statement-breakpoint
CREATE TABLE `imports` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`entity` text NOT NULL,
	`status` text NOT NULL,
	`file_name` text NOT NULL,
	`file_bytes` integer NOT NULL,
	`file_parts` integer NOT NULL,
	`encoding` text NOT NULL,
	`delimiter` text NOT NULL,
	`mapping` text NOT NULL,
	`value_map` text NOT NULL,
	`date_formats` text NOT NULL,
	`preview` text,
	`row_count` integer DEFAULT 0 NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`chunk_count` integer DEFAULT 0 NOT NULL,
	`next_chunk` integer DEFAULT 0 NOT NULL,
	`progress_done` integer DEFAULT 0 NOT NULL,
	`created_refs` text DEFAULT '[]' NOT NULL,
	`first_date` text,
	`last_date` text,
	`error` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `imports_tenant_idx` ON `imports` (`tenant_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `accounts` ADD `import_id` text;--> statement-breakpoint
ALTER TABLE `accounts` ADD `external_id` text;--> statement-breakpoint
CREATE INDEX `accounts_external_idx` ON `accounts` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `accounts_import_idx` ON `accounts` (`tenant_id`,`import_id`);--> statement-breakpoint
ALTER TABLE `contacts` ADD `import_id` text;--> statement-breakpoint
ALTER TABLE `contacts` ADD `external_id` text;--> statement-breakpoint
CREATE INDEX `contacts_external_idx` ON `contacts` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `contacts_import_idx` ON `contacts` (`tenant_id`,`import_id`);--> statement-breakpoint
ALTER TABLE `activities` ADD `import_id` text;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `import_id` text;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `external_id` text;--> statement-breakpoint
CREATE INDEX `opportunities_external_idx` ON `opportunities` (`tenant_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `opportunities_import_idx` ON `opportunities` (`tenant_id`,`import_id`);--> statement-breakpoint
ALTER TABLE `stage_changes` ADD `import_id` text;--> statement-breakpoint
CREATE INDEX `stage_changes_import_idx` ON `stage_changes` (`tenant_id`,`import_id`);