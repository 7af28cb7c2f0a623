"""SaqBol («Сақ бол»): checks suspicious messages for fraud, in Kazakh and Russian."""
