enum KakusaServicePlaceholder {}
