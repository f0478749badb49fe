enum KakusaKafkaPlaceholder {}
