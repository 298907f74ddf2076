CREATE TABLE `invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`invited_by` text NOT NULL,
	`expires_at` integer NOT NULL,
	`accepted_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `invitations_tenant_idx` ON `invitations` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `invitations_token_uq` ON `invitations` (`token_hash`);--> statement-breakpoint
CREATE TABLE `login_attempts` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `login_attempts_window_idx` ON `login_attempts` (`window_start`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `memberships_user_idx` ON `memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_verified_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `sessions_last_verified_idx` ON `sessions` (`last_verified_at`);--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`locale` text NOT NULL,
	`currency` text NOT NULL,
	`timezone` text NOT NULL,
	`fiscal_year_start_month` integer DEFAULT 1 NOT NULL,
	`template_id` text NOT NULL,
	`members_see_own_only` integer DEFAULT false NOT NULL,
	`last_snapshot_date` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_slug_uq` ON `tenants` (`slug`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`password_hash` text,
	`locale` text NOT NULL,
	`password_changed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_uq` ON `users` (`email`);--> statement-breakpoint
CREATE TABLE `lost_reasons` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `lost_reasons_tenant_idx` ON `lost_reasons` (`tenant_id`,`position`);--> statement-breakpoint
CREATE TABLE `opportunity_types` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `opportunity_types_tenant_idx` ON `opportunity_types` (`tenant_id`,`position`);--> statement-breakpoint
CREATE TABLE `pipelines` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pipelines_tenant_idx` ON `pipelines` (`tenant_id`,`position`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`code` text,
	`unit_price` integer DEFAULT 0 NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `products_tenant_idx` ON `products` (`tenant_id`,`position`);--> statement-breakpoint
CREATE TABLE `sources` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sources_tenant_idx` ON `sources` (`tenant_id`,`position`);--> statement-breakpoint
CREATE TABLE `stages` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`name` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`probability` integer NOT NULL,
	`kind` text NOT NULL,
	`stale_after_days` integer,
	`required_fields` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stages_tenant_pipeline_idx` ON `stages` (`tenant_id`,`pipeline_id`,`position`);--> statement-breakpoint
CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`industry` text,
	`city` text,
	`phone` text,
	`website` text,
	`owner_id` text,
	`notes` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `accounts_tenant_name_idx` ON `accounts` (`tenant_id`,`name`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`account_id` text,
	`name` text NOT NULL,
	`title` text,
	`phone` text,
	`email` text,
	`wechat` text,
	`is_key` integer DEFAULT false NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `contacts_tenant_account_idx` ON `contacts` (`tenant_id`,`account_id`);--> statement-breakpoint
CREATE INDEX `contacts_tenant_name_idx` ON `contacts` (`tenant_id`,`name`);--> statement-breakpoint
CREATE TABLE `activities` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`opportunity_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`due_at` integer,
	`expected_result` text,
	`done_at` integer,
	`outcome` text,
	`feedback` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `activities_opp_idx` ON `activities` (`tenant_id`,`opportunity_id`,`due_at`);--> statement-breakpoint
CREATE INDEX `activities_owner_due_idx` ON `activities` (`tenant_id`,`owner_id`,`due_at`);--> statement-breakpoint
CREATE INDEX `activities_done_idx` ON `activities` (`tenant_id`,`done_at`);--> statement-breakpoint
CREATE TABLE `opportunities` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`stage_id` text NOT NULL,
	`title` text NOT NULL,
	`account_id` text,
	`primary_contact_id` text,
	`owner_id` text NOT NULL,
	`type_id` text,
	`source_id` text,
	`amount` integer,
	`expected_close_date` text,
	`probability_override` integer,
	`needs` text,
	`notes` text,
	`status` text DEFAULT 'open' NOT NULL,
	`lost_reason_id` text,
	`closed_at` integer,
	`position` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`stage_entered_at` integer NOT NULL,
	`last_activity_at` integer,
	`next_activity_at` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `opportunities_board_idx` ON `opportunities` (`tenant_id`,`pipeline_id`,`stage_id`,`position`);--> statement-breakpoint
CREATE UNIQUE INDEX `opportunities_position_uq` ON `opportunities` (`tenant_id`,`stage_id`,`position`);--> statement-breakpoint
CREATE INDEX `opportunities_owner_idx` ON `opportunities` (`tenant_id`,`owner_id`,`status`);--> statement-breakpoint
CREATE INDEX `opportunities_close_idx` ON `opportunities` (`tenant_id`,`status`,`expected_close_date`);--> statement-breakpoint
CREATE INDEX `opportunities_account_idx` ON `opportunities` (`tenant_id`,`account_id`);--> statement-breakpoint
CREATE TABLE `opportunity_contacts` (
	`tenant_id` text NOT NULL,
	`opportunity_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`role` text,
	PRIMARY KEY(`tenant_id`, `opportunity_id`, `contact_id`)
);
--> statement-breakpoint
CREATE INDEX `opportunity_contacts_contact_idx` ON `opportunity_contacts` (`tenant_id`,`contact_id`);--> statement-breakpoint
CREATE TABLE `opportunity_products` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`opportunity_id` text NOT NULL,
	`product_id` text NOT NULL,
	`quantity` integer NOT NULL,
	`unit_price` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `opportunity_products_opp_idx` ON `opportunity_products` (`tenant_id`,`opportunity_id`);--> statement-breakpoint
CREATE INDEX `opportunity_products_product_idx` ON `opportunity_products` (`tenant_id`,`product_id`);--> statement-breakpoint
CREATE TABLE `stage_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`opportunity_id` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`from_stage_id` text,
	`to_stage_id` text NOT NULL,
	`changed_at` integer NOT NULL,
	`changed_by` text NOT NULL,
	`amount` integer
);
--> statement-breakpoint
CREATE INDEX `stage_changes_opp_idx` ON `stage_changes` (`tenant_id`,`opportunity_id`,`changed_at`);--> statement-breakpoint
CREATE INDEX `stage_changes_time_idx` ON `stage_changes` (`tenant_id`,`changed_at`);--> statement-breakpoint
CREATE TABLE `daily_stats` (
	`tenant_id` text NOT NULL,
	`as_of_date` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`dimension` text NOT NULL,
	`dimension_key` text NOT NULL,
	`metrics` text NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `as_of_date`, `pipeline_id`, `dimension`, `dimension_key`)
);
--> statement-breakpoint
CREATE TABLE `forecasts` (
	`tenant_id` text NOT NULL,
	`as_of_date` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`period_start` text NOT NULL,
	`period_kind` text NOT NULL,
	`method` text NOT NULL,
	`low` integer,
	`expected` integer NOT NULL,
	`high` integer,
	`details` text,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `as_of_date`, `pipeline_id`, `period_start`, `period_kind`, `method`)
);
--> statement-breakpoint
CREATE TABLE `nightly_runs` (
	`tenant_id` text NOT NULL,
	`as_of_date` text NOT NULL,
	`status` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `as_of_date`)
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`actor_user_id` text,
	`action` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text,
	`before` text,
	`after` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_tenant_time_idx` ON `audit_log` (`tenant_id`,`at`);--> statement-breakpoint
CREATE INDEX `audit_log_tenant_entity_idx` ON `audit_log` (`tenant_id`,`entity_type`,`entity_id`);