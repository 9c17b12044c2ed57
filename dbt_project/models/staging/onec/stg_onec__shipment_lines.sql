-- Grain: one row per line (shipment_id, section, line_number) of a live shipment, posted or not;
-- section 'goods' = tabular section Товары, 'services' = Услуги (БП 3.0). Macro onec_document_lines.
{{ onec_document_lines(source('onec', 'shipments'), 'shipment_id') }}
