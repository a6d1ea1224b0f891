/** The Open Referral UK 3.0 (HSDS 3) JSON shapes Signpost reads and writes. */

export interface OrukTaxonomyTerm {
  id: string;
  code?: string | null;
  name: string;
  description?: string | null;
  parent_id?: string | null;
  taxonomy?: string | null;
  taxonomy_id?: string | null;
  term_uri?: string | null;
  term?: string | null;
  taxonomy_detail?: OrukTaxonomy;
}

export interface OrukTaxonomy {
  id: string;
  name: string;
  description?: string | null;
  uri?: string | null;
  version?: string | null;
}

export interface OrukAttribute {
  id: string;
  link_id?: string | null;
  link_type?: string | null;
  link_entity?: string | null;
  taxonomy_term_id?: string | null;
  value?: string | null;
  taxonomy_term?: OrukTaxonomyTerm;
}

export interface OrukAddress {
  id: string;
  location_id?: string;
  attention?: string | null;
  address_1?: string | null;
  address_2?: string | null;
  city?: string | null;
  region?: string | null;
  state_province?: string | null;
  postal_code?: string | null;
  country?: string | null;
  address_type?: string | null;
}

export interface OrukAccessibility {
  id: string;
  location_id?: string | null;
  description?: string | null;
  details?: string | null;
  url?: string | null;
}

export interface OrukPhone {
  id: string;
  number: string;
  extension?: string | number | null;
  type?: string | null;
  description?: string | null;
}

export interface OrukLocation {
  id: string;
  location_type: string;
  name?: string | null;
  description?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  external_identifier?: string | null;
  external_identifier_type?: string | null;
  addresses?: OrukAddress[];
  accessibility?: OrukAccessibility[];
  phones?: OrukPhone[];
}

export interface OrukServiceAtLocation {
  id: string;
  service_id?: string;
  location_id?: string;
  description?: string | null;
  location?: OrukLocation;
}

export interface OrukSchedule {
  id: string;
  service_id?: string | null;
  service_at_location_id?: string | null;
  freq?: string | null;
  interval?: number | null;
  byday?: string | null;
  bymonthday?: string | null;
  dtstart?: string | null;
  valid_from?: string | null;
  valid_to?: string | null;
  opens_at?: string | null;
  closes_at?: string | null;
  description?: string | null;
  schedule_link?: string | null;
  attending_type?: string | null;
  notes?: string | null;
}

export interface OrukCostOption {
  id: string;
  option?: string | null;
  amount?: number | null;
  amount_description?: string | null;
  valid_from?: string | null;
  valid_to?: string | null;
}

export interface OrukLanguage {
  id: string;
  name?: string | null;
  code?: string | null;
  note?: string | null;
}

export interface OrukContact {
  id: string;
  name?: string | null;
  title?: string | null;
  department?: string | null;
  email?: string | null;
  phones?: OrukPhone[];
}

export interface OrukOrganizationIdentifier {
  id: string;
  organization_id?: string | null;
  identifier_scheme?: string | null;
  identifier_type?: string | null;
  identifier?: string | null;
}

/** Funding of a service or an organisation (HSDS 3; one record may name both). */
export interface OrukFunding {
  id: string;
  organization_id?: string | null;
  service_id?: string | null;
  source?: string | null;
}

/** HSDS 3 program: a group of an organisation's services. Not in the ORUK profile; kept for HSDS feeds. */
export interface OrukProgram {
  id: string;
  organization_id?: string | null;
  name: string;
  alternate_name?: string | null;
  description?: string | null;
}

export interface OrukServiceArea {
  id: string;
  service_id?: string | null;
  name?: string | null;
  description?: string | null;
  /** ORUK's free-text description of the area. */
  service_area?: string | null;
  extent?: string | null;
  extent_type?: string | null;
  uri?: string | null;
}

/** HSDS 3 required_document. Not in the ORUK profile; kept for HSDS feeds. */
export interface OrukRequiredDocument {
  id: string;
  service_id?: string | null;
  document?: string | null;
  uri?: string | null;
}

export interface OrukOrganization {
  id: string;
  name: string;
  description: string;
  email?: string | null;
  website?: string | null;
  logo?: string | null;
  uri?: string | null;
  parent_organization_id?: string | null;
  /** When present (even empty) on import, these replace the organisation's; when absent they are left as they are. */
  organization_identifiers?: OrukOrganizationIdentifier[];
  funding?: OrukFunding[];
  programs?: OrukProgram[];
}

export interface OrukService {
  id: string;
  organization_id?: string | null;
  name: string;
  description?: string | null;
  url?: string | null;
  email?: string | null;
  status: string;
  fees?: string | null;
  accreditations?: string | null;
  eligibility_description?: string | null;
  minimum_age?: number | null;
  maximum_age?: number | null;
  assured_date?: string | null;
  assurer_email?: string | null;
  alert?: string | null;
  last_modified?: string | null;
  program_id?: string | null;
  organization?: OrukOrganization;
  service_at_locations?: OrukServiceAtLocation[];
  service_areas?: OrukServiceArea[];
  funding?: OrukFunding[];
  program?: OrukProgram;
  required_documents?: OrukRequiredDocument[];
  schedules?: OrukSchedule[];
  cost_options?: OrukCostOption[];
  languages?: OrukLanguage[];
  contacts?: OrukContact[];
  phones?: OrukPhone[];
  attributes?: OrukAttribute[];
}

export interface OrukPage<T> {
  total_items: number;
  total_pages: number;
  page_number: number;
  size: number;
  first_page: boolean;
  last_page: boolean;
  empty: boolean;
  contents: T[];
}
