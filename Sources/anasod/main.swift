print("anasod")
