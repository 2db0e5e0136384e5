"""Payment cryptography for the terminal, on ``cryptography``'s hazmat ciphers (EMV 4.4 Book 2, Annex A).

One concept per module; nothing is re-exported here, so importing one module costs only that module:

- ``des``: DES, 2-key and 3-key TDES in ECB and CBC, key parity, key check values (ANSI X9.24-1).
- ``aes``: AES in ECB and CBC, AES key check values (GlobalPlatform and ANSI X9.24-1:2017 methods).
- ``mac``: ISO/IEC 9797-1 MAC algorithms 1 and 3 with padding methods 1 and 2; AES-CMAC.
- ``kd``: ICC master keys by options A and B, the EMV common session key and the PBOC session key.
- ``ac``: application cryptograms, ARPC methods 1 and 2, cryptogram versions as data (Book 2, 8.1, 8.2).
- ``pinblock``: ISO 9564-1 PIN block formats 0 to 3, and format 4 (AES).
- ``dukpt``: TDES DUKPT, terminal side (ANSI X9.24-1:2009, Annex A).
- ``dukpt_aes``: AES DUKPT initial and working keys (ANSI X9.24-3:2017).
- ``rsa``: RSA recovery for offline data authentication and a raw signer for test CAs (Book 2, 5 and 6).
- ``errors``: ``CryptoError`` and its subclasses.

No function logs or raises a key, PIN, PAN or plaintext: errors name the input and what is wrong with it.
"""
