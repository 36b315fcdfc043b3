#!/bin/sh
# A certificate for the StockApp machine on the shop's network, signed by a small
# certificate authority of the shop's own (made on first use and kept: install its
# shop-ca.crt once on every tablet, and later certificates are trusted too).
#
#   sh docs/https/make-certificate.sh NAME ADDRESS [FOLDER]
#   sh docs/https/make-certificate.sh stock.shop.lan 192.168.1.10    # FOLDER: /etc/stockapp/tls
#
# The certificate names both, so https://stock.shop.lan/ and https://192.168.1.10/ work.
# It is valid 825 days, the most iPads and iPhones accept; run this again before then.
set -eu
name=$1
address=$2
folder=${3:-/etc/stockapp/tls}
umask 077
mkdir -p "$folder"
cd "$folder"
if [ ! -f shop-ca.key ]; then
    openssl req -x509 -new -newkey rsa:3072 -nodes -sha256 -days 3650 \
        -subj "/CN=StockApp shop CA" -keyout shop-ca.key -out shop-ca.crt \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign"
fi
cat > stockapp.ext <<END
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:$name,IP:$address
END
openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=$name" \
    -keyout stockapp.key -out stockapp.csr
openssl x509 -req -sha256 -days 825 -in stockapp.csr -CA shop-ca.crt -CAkey shop-ca.key \
    -CAcreateserial -extfile stockapp.ext -out stockapp.crt
rm stockapp.csr stockapp.ext
chmod 644 shop-ca.crt stockapp.crt  # public; the two .key files stay 0600
echo "wrote $folder/stockapp.crt for $name and $address; tablets trust $folder/shop-ca.crt"
