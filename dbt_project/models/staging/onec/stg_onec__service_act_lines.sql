-- Grain: one row per line (service_act_id, section, line_number) of a live service act, posted or not;
-- section 'services' = the act's Работы (landed as Услуги). Macro onec_document_lines.
{{ onec_document_lines(source('onec', 'service_acts'), 'service_act_id') }}
