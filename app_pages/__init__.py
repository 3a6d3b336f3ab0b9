"""One small module per page of the Streamlit app."""
