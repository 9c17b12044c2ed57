-- Grain: one row per line (return_id, section, line_number) of a live return, posted or not;
-- section 'goods' = Товары ('services' = Услуги, if a configuration sends one). УНФ's supplier receipts,
-- landed beside its returns, are left out. Macro onec_document_lines.
{{ onec_document_lines(source('onec', 'returns'), 'return_id', onec_is_customer_return('_data')) }}
