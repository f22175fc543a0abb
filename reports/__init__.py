"""Reports for the civil-affairs bureau: per month and district, as JSON, CSV and XLSX."""
