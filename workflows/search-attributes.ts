import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * The fleet's custom search attributes. They must be registered on the Temporal namespace before a
 * workflow upserts them (the dev server gets them with --search-attribute; production with
 * `temporal operator search-attribute create`).
 */
export const FleetTenant = defineSearchAttributeKey('FleetTenant', 'KEYWORD');
export const FleetKind = defineSearchAttributeKey('FleetKind', 'KEYWORD');
export const FleetJobState = defineSearchAttributeKey('FleetJobState', 'KEYWORD');

export const FLEET_SEARCH_ATTRIBUTES = [FleetTenant, FleetKind, FleetJobState] as const;
